// Runs port work against the pool: named statements, transactions on one connection, bounded retry, errors as data.
import { ResultAsync } from 'neverthrow';
import type { QueryConfig } from 'pg';
import type { StorageError } from '@image-catalog/core';
import type { PgPool, PgPoolClient, PgQueryable } from './pg-pool.js';
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
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The one place this package turns exceptions into `StorageError` values: every port method's
 * work runs through `run` or `transaction`, so nothing a port returns can reject.
 */
export class PgRunner {
  constructor(
    private readonly pool: PgPool,
    private readonly options: PgRunnerOptions,
  ) {}

  /** Work on the pool (each query on whichever connection is free): for single statements. */
  run<T>(work: (db: PgQueryable) => Promise<T>): ResultAsync<T, StorageError> {
    return this.#guard(() => work(this.pool));
  }

  /** Work inside BEGIN ... COMMIT on one connection; rolled back whole if anything fails. */
  transaction<T>(work: (client: PgQueryable) => Promise<T>): ResultAsync<T, StorageError> {
    return this.#guard(() => this.#inTransaction(work));
  }

  #guard<T>(attempt: () => Promise<T>): ResultAsync<T, StorageError> {
    return ResultAsync.fromPromise(this.#withRetry(attempt), (cause) => toStorageError(cause, this.options.retryAfterSeconds));
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

  async #inTransaction<T>(work: (client: PgQueryable) => Promise<T>): Promise<T> {
    const client: PgPoolClient = await this.pool.connect();
    let destroy = false;
    // The next query on a dead connection fails and is mapped; this only keeps the event from crashing the host.
    const onError = () => {
      destroy = true;
    };
    client.on('error', onError);
    try {
      await client.query({ text: 'BEGIN' });
      const value = await work(client);
      await client.query({ text: 'COMMIT' });
      return value;
    } catch (cause) {
      try {
        await client.query({ text: 'ROLLBACK' });
      } catch {
        // The connection is unusable (it died or is stuck mid-protocol): it must not go back to the pool.
        destroy = true;
      }
      throw cause;
    } finally {
      client.removeListener('error', onError);
      client.release(destroy);
    }
  }
}
