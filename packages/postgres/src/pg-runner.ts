// Runs port work against the pool: named statements, bounded transactions on one connection, bounded retry, errors as data.
import { ResultAsync } from 'neverthrow';
import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';
import type { StorageError } from '@image-catalog/core';
import { withTimeout } from '@image-catalog/core/workers';
import { DeadlineExceededError } from './deadline-exceeded-error.js';
import type { PgPool, PgPoolClient, PgQueryable } from './pg-pool.js';
import type { PostgresTimeouts } from './postgres-timeouts.js';
import { isRetryable, toStorageError } from './storage-errors.js';

/** A named statement: prepared once per connection by node-postgres, then only bound and executed. */
export type Statement = (values?: readonly unknown[]) => QueryConfig;

/** Builds named statements whose names carry `prefix` (see `SchemaName.statementPrefix`). */
export function statementFactory(prefix: string): (name: string, text: string) => Statement {
  return (name, text) => {
    const config = { name: `${prefix}${name}`, text };
    return (values = []) => ({ ...config, values: [...values] });
  };
}

export interface PgRunnerOptions {
  /** `retryAfterSeconds` of the `StorageUnavailable` errors reported. */
  readonly retryAfterSeconds: number;
  /** Runs of one unit of work when PostgreSQL answers serialization failure or deadlock (at least 1). */
  readonly maxAttempts: number;
  /** Bounds on the wait for a connection, on lock waits, on statements and on the server's answers. */
  readonly timeouts: PostgresTimeouts;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A checked-out connection on which no query waits longer than `answerTimeoutMs` for the
 * server. Past that the connection is stuck mid-protocol (a server or network that stopped
 * answering): every later query fails at once and the runner destroys it.
 */
class BoundedConnection implements PgQueryable {
  #stuck = false;

  constructor(
    private readonly client: PgPoolClient,
    private readonly answerTimeoutMs: number,
  ) {}

  get stuck(): boolean {
    return this.#stuck;
  }

  async query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>> {
    if (this.#stuck) throw new DeadlineExceededError('answer from PostgreSQL on this connection', this.answerTimeoutMs);
    const answer = await withTimeout(() => this.client.query<R>(config), this.answerTimeoutMs);
    if (answer.kind === 'answered') return answer.value;
    if (answer.kind === 'threw') throw answer.cause;
    this.#stuck = true;
    throw new DeadlineExceededError('answer from PostgreSQL', this.answerTimeoutMs);
  }
}

/**
 * The one place this package turns exceptions into `StorageError` values: every port method's
 * work runs through `transaction`, so nothing a port returns can reject, and nothing it does
 * waits without bound (see `PostgresTimeouts`).
 */
export class PgRunner {
  /**
   * Opens every transaction, in one round trip. READ COMMITTED whatever the database's default
   * (each statement sees what is committed when it starts: the delete's read-decide-write loop
   * and the lock-then-read transactions rely on it). `SET LOCAL` ends with the transaction, so
   * the host's pooled connections keep their own settings.
   */
  readonly #begin: string;

  constructor(
    private readonly pool: PgPool,
    private readonly options: PgRunnerOptions,
  ) {
    const { lockTimeoutMs, statementTimeoutMs } = options.timeouts;
    this.#begin = `BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = ${lockTimeoutMs}; SET LOCAL statement_timeout = ${statementTimeoutMs}`;
  }

  /**
   * Work inside BEGIN ... COMMIT on one connection, with the lock and statement timeouts set;
   * rolled back whole if anything fails, so a statement cancelled by a timeout leaves nothing
   * behind. One statement or several: the same path.
   */
  transaction<T>(work: (client: PgQueryable) => Promise<T>): ResultAsync<T, StorageError> {
    return ResultAsync.fromPromise(
      this.#withRetry(() => this.#inTransaction(work)),
      (cause) => toStorageError(cause, this.options.retryAfterSeconds),
    );
  }

  /** Serialization failures and deadlocks are PostgreSQL asking for a rerun; bounded, with a little jitter. */
  async #withRetry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let run = 1; ; run++) {
      try {
        return await attempt();
      } catch (cause) {
        if (!isRetryable(cause) || run >= this.options.maxAttempts) throw cause;
        await pause(Math.round((5 + Math.random() * 20) * run));
      }
    }
  }

  /**
   * A connection from the pool within `acquireTimeoutMs`, whatever the pool's own settings (the
   * host owns it: its `connectionTimeoutMillis` may be 0, "wait forever"). A connection the pool
   * hands over after the deadline goes straight back.
   */
  async #acquire(): Promise<PgPoolClient> {
    const { acquireTimeoutMs } = this.options.timeouts;
    const acquiring = this.pool.connect();
    const acquired = await withTimeout(() => acquiring, acquireTimeoutMs);
    if (acquired.kind === 'answered') return acquired.value;
    if (acquired.kind === 'threw') throw acquired.cause;
    acquiring.then(
      (client) => client.release(),
      () => {},
    );
    throw new DeadlineExceededError('connection from the pool', acquireTimeoutMs);
  }

  async #inTransaction<T>(work: (client: PgQueryable) => Promise<T>): Promise<T> {
    const client = await this.#acquire();
    const connection = new BoundedConnection(client, this.options.timeouts.answerTimeoutMs);
    let destroy = false;
    // The next query on a dead connection fails and is mapped; this only keeps the event from crashing the host.
    const onError = () => {
      destroy = true;
    };
    client.on('error', onError);
    try {
      await connection.query({ text: this.#begin });
      const value = await work(connection);
      await connection.query({ text: 'COMMIT' });
      return value;
    } catch (cause) {
      // A stuck connection would queue the ROLLBACK behind the query it never answered; closing it rolls back instead.
      if (!connection.stuck) {
        try {
          await connection.query({ text: 'ROLLBACK' });
        } catch {
          // The connection is unusable (it died or is stuck mid-protocol): it must not go back to the pool.
          destroy = true;
        }
      }
      throw cause;
    } finally {
      client.removeListener('error', onError);
      client.release(destroy || connection.stuck);
    }
  }
}
