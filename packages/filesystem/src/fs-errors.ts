// How Node file-system errors become the data store's typed errors: retry-worthy, permanent, or a fault.
import type { DataStoreError } from '@image-catalog/core';

/** Transient conditions: busy, out of descriptors, out of space, interrupted, a stale network mount. */
const UNAVAILABLE_CODES = new Set([
  'EBUSY',
  'EAGAIN',
  'EWOULDBLOCK',
  'EMFILE',
  'ENFILE',
  'ETIMEDOUT',
  'EINTR',
  'ENOSPC',
  'EDQUOT',
  'ENOMEM',
  'ESTALE',
  'ECONNRESET',
  'EHOSTDOWN',
  'EHOSTUNREACH',
]);

/** The location itself is wrong (a folder, a loop, an impossible name): retrying cannot help. */
const REJECTED_CODES = new Set(['EISDIR', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG', 'EINVAL']);

export function errnoCode(cause: unknown): string | undefined {
  if (typeof cause === 'object' && cause !== null && 'code' in cause) {
    const code = (cause as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * EACCES, EPERM, EROFS and EIO are faults: an operator has to fix permissions, the mount or the
 * disk. They are still retried with backoff (only `DataStoreRejected` is dead-lettered at once),
 * so a fixed store catches up by itself. The message names the operation and errno, never the path.
 */
export function toDataStoreError(operation: string, cause: unknown): DataStoreError {
  const code = errnoCode(cause);
  const message = `${operation} failed${code ? ` (${code})` : ''}`;
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) return { kind: 'DataStoreUnavailable', message, cause };
  if (code !== undefined && REJECTED_CODES.has(code)) return { kind: 'DataStoreRejected', message };
  return { kind: 'DataStoreFault', message, cause };
}

export function rejected(message: string): DataStoreError {
  return { kind: 'DataStoreRejected', message };
}
