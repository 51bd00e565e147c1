// Maps whatever better-sqlite3 throws to the port's StorageError data, at the adapter edge only.
import { DEFAULT_RETRY_AFTER_SECONDS, storageFault, storageUnavailable, type StorageError } from '@image-catalog/core';

/**
 * Result codes (primary or extended) that describe the state of the storage rather than a defect:
 * another connection holds the lock past the busy timeout, the file cannot be opened, the disk is
 * full, failing or read-only. Retrying later can succeed, so callers answer 503 with Retry-After.
 */
const UNAVAILABLE_CODE = /^SQLITE_(BUSY|LOCKED|PROTOCOL|CANTOPEN|IOERR|FULL|READONLY)(_[A-Z_]+)?$/;

/** SQLite's own wording for lock timeouts, for errors that reach us without a code. */
const UNAVAILABLE_MESSAGE = /\bdatabase (table )?is locked\b|\bdatabase is busy\b/i;

/** A lock held by another connection (or a WAL being recovered): the kinds of failure worth waiting out. */
const BUSY_CODE = /^SQLITE_BUSY(_[A-Z_]+)?$/;

function codeOf(cause: unknown): string | null {
  if (typeof cause !== 'object' || cause === null || !('code' in cause)) return null;
  const code = (cause as { code: unknown }).code;
  return typeof code === 'string' ? code : null;
}

/** `StorageUnavailable` for lock, busy and I/O conditions; `StorageFault` for everything else. */
export function toStorageError(cause: unknown, retryAfterSeconds: number = DEFAULT_RETRY_AFTER_SECONDS): StorageError {
  const code = codeOf(cause);
  if (code !== null && UNAVAILABLE_CODE.test(code)) return storageUnavailable(cause, retryAfterSeconds);
  if (cause instanceof Error && UNAVAILABLE_MESSAGE.test(cause.message)) return storageUnavailable(cause, retryAfterSeconds);
  return storageFault(cause);
}

/** True for `SQLITE_BUSY` and its extended codes: the lock was not free, nothing was done, retrying can succeed. */
export function isBusy(cause: unknown): boolean {
  const code = codeOf(cause);
  return code !== null && BUSY_CODE.test(code);
}
