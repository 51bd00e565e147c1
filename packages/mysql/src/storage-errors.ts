// The one mapping from MariaDB/mysql2 errors to StorageError: retryable waits and lost servers are "unavailable", the rest a fault.
import { storageFault, storageUnavailable, type StorageError } from '@image-catalog/core';

/** The `code` of the error the store raises when no pool connection came within `acquireTimeoutMs`. */
export const POOL_ACQUIRE_TIMEOUT = 'IMAGE_CATALOG_POOL_ACQUIRE_TIMEOUT';

/** Server error numbers that mean "busy or gone for now, try again". */
const UNAVAILABLE_ERRNOS: ReadonlySet<number> = new Set([
  1040, // ER_CON_COUNT_ERROR: too many connections
  1053, // ER_SERVER_SHUTDOWN
  1205, // ER_LOCK_WAIT_TIMEOUT: innodb_lock_wait_timeout passed
  1213, // ER_LOCK_DEADLOCK: InnoDB rolled the transaction back
  1927, // ER_CONNECTION_KILLED (MariaDB)
  1969, // ER_STATEMENT_TIMEOUT: max_statement_time passed (MariaDB)
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
]);

/** Driver and socket codes for a server that cannot be reached or dropped the connection. */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  POOL_ACQUIRE_TIMEOUT,
]);

/** mysql2's pool reports these without a code. */
const UNAVAILABLE_POOL_MESSAGES: ReadonlySet<string> = new Set(['Queue limit reached.', 'No connections available.', 'Pool is closed.']);

function field(cause: unknown, name: 'errno' | 'code' | 'message'): unknown {
  return typeof cause === 'object' && cause !== null ? (cause as Record<string, unknown>)[name] : undefined;
}

/** Whether a driver error says the server is busy, locked or unreachable (worth retrying later). */
export function isUnavailable(cause: unknown): boolean {
  const errno = field(cause, 'errno');
  const code = field(cause, 'code');
  const message = field(cause, 'message');
  return (
    (typeof errno === 'number' && UNAVAILABLE_ERRNOS.has(errno)) ||
    (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) ||
    (typeof message === 'string' && UNAVAILABLE_POOL_MESSAGES.has(message))
  );
}

/** Maps anything a store call caught to the port's error; the cause is kept for server-side logs. */
export function toStorageError(cause: unknown, retryAfterSeconds: number): StorageError {
  return isUnavailable(cause) ? storageUnavailable(cause, retryAfterSeconds) : storageFault(cause);
}
