// The adapter's own deadline passed: no connection from the pool, or no answer from the server, in time.

/** Thrown inside the runner and mapped to `StorageUnavailable` (503 + Retry-After), like PostgreSQL's own timeouts. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';

  constructor(
    /** What did not come in time, e.g. "a connection from the pool". */
    readonly waitedFor: string,
    readonly afterMs: number,
  ) {
    super(`PostgreSQL storage: no ${waitedFor} within ${afterMs} ms`);
  }
}
