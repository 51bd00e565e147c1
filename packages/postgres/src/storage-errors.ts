// Maps whatever node-postgres throws to the ports' StorageError data, at the adapter edge only.
import { DEFAULT_RETRY_AFTER_SECONDS, storageFault, storageUnavailable, type StorageError } from '@image-catalog/core';
import { DeadlineExceededError } from './deadline-exceeded-error.js';

/**
 * SQLSTATEs that describe the server's state rather than a defect: retrying later can succeed,
 * so callers answer 503 with Retry-After.
 * - 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, recovery)
 * - 53xxx insufficient resources: 53300 too_many_connections, 53100 disk_full, 53200 out_of_memory
 * - 55P03 lock_not_available (`lock_timeout`, `NOWAIT`), 57014 query_canceled (`statement_timeout`)
 * - 40001 serialization_failure, 40P01 deadlock_detected (after the bounded retry)
 * - 25006 read_only_sql_transaction: a failover left us on a standby
 * - 58030 io_error
 */
const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '57P01',
  '57P02',
  '57P03',
  '55P03',
  '57014',
  '40001',
  '40P01',
  '25006',
  '58030',
]);

/** SQLSTATE classes that are unavailable as a whole: 08 connection exception, 53 insufficient resources. */
const UNAVAILABLE_CLASSES: ReadonlySet<string> = new Set(['08', '53']);

/** SQLSTATEs after which running the same transaction again is the documented remedy. */
const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01']);

/** Socket-level failures: the server cannot be reached or went away. */
const UNAVAILABLE_SYSCALL_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * node-postgres and pg-pool report some conditions only in words: a pool checkout timing out
 * (`connectionTimeoutMillis`), a connection dying under a query, a client-side `query_timeout`,
 * a pool the host is shutting down.
 */
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|connection terminated|connection timeout|query read timeout|not queryable|cannot use a pool after calling end|the database system is (starting up|shutting down|in recovery mode)|too many clients/i;

/** PostgreSQL's unique_violation. */
export const UNIQUE_VIOLATION = '23505';

/** The error's `code` (a SQLSTATE, or a Node `E...` code), if it has one. */
export function errorCode(cause: unknown): string | null {
  if (typeof cause !== 'object' || cause === null || !('code' in cause)) return null;
  const code = (cause as { code: unknown }).code;
  return typeof code === 'string' ? code : null;
}

/** A unique violation of `constraint` (PostgreSQL names it in the error). */
export function isUniqueViolation(cause: unknown, constraint: string): boolean {
  return errorCode(cause) === UNIQUE_VIOLATION && (cause as { constraint?: unknown }).constraint === constraint;
}

/** A serialization failure or deadlock: the whole transaction may simply be run again. */
export function isRetryable(cause: unknown): boolean {
  const code = errorCode(cause);
  return code !== null && RETRYABLE_SQLSTATES.has(code);
}

function isUnavailable(cause: unknown, depth = 0): boolean {
  if (depth > 3 || typeof cause !== 'object' || cause === null) return false;
  if (cause instanceof DeadlineExceededError) return true;
  const code = errorCode(cause);
  if (code !== null) {
    if (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SYSCALL_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_CLASSES.has(code.slice(0, 2))) return true;
  }
  if (cause instanceof Error && UNAVAILABLE_MESSAGE.test(cause.message)) return true;
  // Node reports a failed connect to a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  if (cause instanceof AggregateError) return cause.errors.some((inner) => isUnavailable(inner, depth + 1));
  const inner = (cause as { cause?: unknown }).cause;
  return inner !== undefined && isUnavailable(inner, depth + 1);
}

/**
 * `StorageUnavailable` for connection, shutdown, resource, lock and timeout conditions (the
 * adapter's own `DeadlineExceededError` included); `StorageFault` for everything else.
 */
export function toStorageError(cause: unknown, retryAfterSeconds: number = DEFAULT_RETRY_AFTER_SECONDS): StorageError {
  return isUnavailable(cause) ? storageUnavailable(cause, retryAfterSeconds) : storageFault(cause);
}
