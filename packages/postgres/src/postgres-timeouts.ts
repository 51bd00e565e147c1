// How long a port call may wait on PostgreSQL: the lock and statement timeouts of its transaction and the wait for a pooled connection.

/** Bounds on every port call, in milliseconds. Each must be a whole number from 1 to 2147483647. */
export interface PostgresTimeoutOptions {
  /**
   * `lock_timeout` of every transaction the ports run (`SET LOCAL`, so the host's connections
   * keep their own settings): a lock held elsewhere for longer ends the call with
   * `StorageUnavailable` (503 + Retry-After), having written nothing (default 5000).
   */
  readonly lockTimeoutMs?: number;
  /**
   * `statement_timeout` of every transaction the ports run: a statement running longer is
   * cancelled and rolled back, `StorageUnavailable` (default 10000). A server that does not
   * answer at all is given up on, client side, `ANSWER_GRACE_MS` later, and that connection is
   * destroyed.
   */
  readonly statementTimeoutMs?: number;
  /**
   * How long a port call waits for a connection from the pool (a free one, or a new one being
   * opened) before answering `StorageUnavailable` (default: `lockTimeoutMs`, so an exhausted pool
   * answers when a lock wait would). Set the pool's own `connectionTimeoutMillis` no higher, so
   * abandoned waits also leave the pool's queue.
   */
  readonly acquireTimeoutMs?: number;
}

/** The bounds in force, defaults applied. */
export interface PostgresTimeouts {
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly acquireTimeoutMs: number;
  /** The client-side bound on any one answer: `statementTimeoutMs + ANSWER_GRACE_MS`. */
  readonly answerTimeoutMs: number;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;
/** How long past `statement_timeout` the adapter still waits for the server's answer (the server's own cancel normally comes first). */
export const ANSWER_GRACE_MS = 1_000;
/** PostgreSQL's largest `lock_timeout`/`statement_timeout`, and Node's largest timer. */
const MAX_TIMEOUT_MS = 2_147_483_647;

function milliseconds(name: keyof PostgresTimeoutOptions, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    throw new RangeError(
      `PostgreSQL storage: ${name} must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${String(value)}`,
    );
  }
  return value;
}

/** Applies the defaults; throws a `RangeError` naming the option for a value that is not a whole number of milliseconds in range. */
export function postgresTimeouts(options: PostgresTimeoutOptions = {}): PostgresTimeouts {
  const lockTimeoutMs = milliseconds('lockTimeoutMs', options.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS);
  const statementTimeoutMs = milliseconds('statementTimeoutMs', options.statementTimeoutMs, DEFAULT_STATEMENT_TIMEOUT_MS);
  const acquireTimeoutMs = milliseconds('acquireTimeoutMs', options.acquireTimeoutMs, lockTimeoutMs);
  return {
    lockTimeoutMs,
    statementTimeoutMs,
    acquireTimeoutMs,
    answerTimeoutMs: Math.min(statementTimeoutMs + ANSWER_GRACE_MS, MAX_TIMEOUT_MS),
  };
}
