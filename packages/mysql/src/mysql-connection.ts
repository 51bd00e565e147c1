// The connection object the four port modules share: the caller's pool, session settings, and two ways to use it (read, transaction).
import { DEFAULT_RETRY_AFTER_SECONDS, type StorageError } from '@image-catalog/core';
import { ResultAsync } from 'neverthrow';
import { POOL_ACQUIRE_TIMEOUT, toStorageError } from './storage-errors.js';

/** What the store needs of a pool: a `mysql2/promise` Pool (or a PoolCluster namespace) fits as it is. */
export interface MysqlPool {
  getConnection(): Promise<MysqlPoolConnection>;
}

export interface MysqlPoolConnection {
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
  release(): void;
  destroy(): void;
}

export interface MysqlConnectionOptions {
  /**
   * How long a statement waits for another transaction's row lock before failing with
   * ER_LOCK_WAIT_TIMEOUT, which the store answers as `StorageUnavailable` (default 5 s).
   */
  readonly lockWaitTimeoutSeconds?: number;
  /** How long a call waits for a free pool connection before answering `StorageUnavailable` (default 5 000 ms). */
  readonly acquireTimeoutMs?: number;
  /** `Retry-After` of every `StorageUnavailable` the store answers (default core's `DEFAULT_RETRY_AFTER_SECONDS`). */
  readonly retryAfterSeconds?: number;
}

export const DEFAULT_LOCK_WAIT_TIMEOUT_SECONDS = 5;
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 5_000;

/** Statements on one checked-out connection. Values are bound by the driver (`?`); an array binds as a list. */
export interface Sql {
  rows<T>(statement: string, values?: readonly unknown[]): Promise<T[]>;
  /** Runs a write; answers the number of rows it matched. */
  run(statement: string, values?: readonly unknown[]): Promise<number>;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`@image-catalog/mysql: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function sqlOn(connection: MysqlPoolConnection): Sql {
  return {
    rows: async <T>(statement: string, values?: readonly unknown[]) => (await connection.query(statement, values))[0] as T[],
    run: async (statement, values) => ((await connection.query(statement, values))[0] as { readonly affectedRows: number }).affectedRows,
  };
}

/**
 * One pool, used two ways. Every transaction runs at READ COMMITTED (each statement sees what was
 * committed before it; a locking read waits for the lock, then sees the row as committed) with a
 * bounded lock wait; both are set on the session of the pool connection the transaction uses.
 * Nothing here throws or rejects: failures come back as `StorageError` values.
 */
export class MysqlConnection {
  readonly retryAfterSeconds: number;
  private readonly acquireTimeoutMs: number;
  private readonly sessionSettings: string;

  constructor(
    readonly pool: MysqlPool,
    options: MysqlConnectionOptions = {},
  ) {
    this.retryAfterSeconds = positiveInteger('retryAfterSeconds', options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
    this.acquireTimeoutMs = positiveInteger('acquireTimeoutMs', options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS);
    const lockWait = positiveInteger('lockWaitTimeoutSeconds', options.lockWaitTimeoutSeconds ?? DEFAULT_LOCK_WAIT_TIMEOUT_SECONDS);
    this.sessionSettings = `SET SESSION tx_isolation = 'READ-COMMITTED', SESSION innodb_lock_wait_timeout = ${lockWait}`;
  }

  /** Statements outside a transaction (each one atomic on its own): reads. */
  read<T>(work: (sql: Sql) => Promise<T>): ResultAsync<T, StorageError> {
    return this.settle(async () => {
      const connection = await this.checkout();
      try {
        return await work(sqlOn(connection));
      } finally {
        connection.release();
      }
    });
  }

  /** `work` inside START TRANSACTION … COMMIT; rolled back when it rejects (or throws). */
  transaction<T>(work: (sql: Sql) => Promise<T>): ResultAsync<T, StorageError> {
    return this.settle(async () => {
      const connection = await this.checkout();
      let reusable = true;
      try {
        await connection.query(this.sessionSettings);
        await connection.query('START TRANSACTION');
        try {
          const result = await work(sqlOn(connection));
          await connection.query('COMMIT');
          return result;
        } catch (cause) {
          // A connection that cannot even roll back is broken: it must not go back to the pool.
          await connection.query('ROLLBACK').catch(() => (reusable = false));
          throw cause;
        }
      } finally {
        if (reusable) connection.release();
        else connection.destroy();
      }
    });
  }

  private settle<T>(run: () => Promise<T>): ResultAsync<T, StorageError> {
    return ResultAsync.fromPromise(run(), (cause) => toStorageError(cause, this.retryAfterSeconds));
  }

  /** A pool connection, or a POOL_ACQUIRE_TIMEOUT error once `acquireTimeoutMs` has passed (the late connection is released). */
  private async checkout(): Promise<MysqlPoolConnection> {
    const pending = this.pool.getConnection();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        pending.then(
          (late) => late.release(),
          () => {},
        );
        reject(Object.assign(new Error(`no pool connection within ${this.acquireTimeoutMs} ms`), { code: POOL_ACQUIRE_TIMEOUT }));
      }, this.acquireTimeoutMs);
    });
    try {
      return await Promise.race([pending, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
