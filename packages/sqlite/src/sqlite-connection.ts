// The connection the four SQLite port modules share: the Database, the image read, transactions, error mapping, options.
import { err, ok, type ResultAsync } from 'neverthrow';
import type BetterSqlite3 from 'better-sqlite3';
import { DEFAULT_RETRY_AFTER_SECONDS, type Image, type StorageError } from '@image-catalog/core';
import type { ImageQuotas } from '@image-catalog/core/authoring';
import { toImage } from '@image-catalog/sql-kit';
import { resolveGroupCommit, type GroupCommitOptions, type ResolvedGroupCommit } from './group-commit.js';
import { retryWhileLocked, takeOverBusyTimeout, type LockAttempt, type LockWait } from './lock-wait.js';
import { pendingMigrations } from './migrations.js';
import { SELECT_ONE_IMAGE, toImageRow } from './rows.js';
import { isBusy, toStorageError } from './storage-errors.js';
import type { WalCheckpointOptions } from './wal-checkpointer.js';

export interface SqliteStorageOptions {
  /** Ids for new data-deletion jobs and uploaded-data locations (default: random UUIDs). */
  readonly newId?: () => string;
  /** `retryAfterSeconds` of the `StorageUnavailable` errors the storage reports (default 5). */
  readonly retryAfterSeconds?: number;
  /**
   * How long an operation waits for a lock another connection holds before answering
   * `StorageUnavailable` (default: the connection's busy timeout when the first store took it,
   * i.e. `openDatabase`'s `busyTimeoutMs`, 5 000 ms). The wait is asynchronous: the store sets the
   * connection's `busy_timeout` to 0 and retries on timers, so the event loop keeps running.
   */
  readonly lockWaitMs?: number;
  /**
   * Group commit for `deleteImage` (default off): deletes issued in the same event-loop turn are
   * committed by one `BEGIN IMMEDIATE … COMMIT`, each in its own savepoint, so a durable
   * (`synchronous: 'FULL'`) database pays one fsync per batch instead of one per delete. Each
   * request still gets its own outcome or error, settled after the COMMIT. `true` uses the
   * defaults (`maxBatch` 64, flush on `setImmediate`). Other methods are not batched.
   */
  readonly groupCommit?: boolean | GroupCommitOptions;
  /**
   * Per-project `image_count_total` / `image_size_total` limits `catalog` enforces (default: none,
   * and then no quota work at all). Checked inside the catalog's BEGIN IMMEDIATE transaction.
   */
  readonly quotas?: ImageQuotas;
  /**
   * The WAL checkpointer (`storage.background`): once started, checkpoints run on a worker thread
   * instead of inside commits. `{ intervalMs, maxWalBytes }` (default 250 ms, 64 MiB); `false`:
   * none, SQLite keeps checkpointing inside the commits. It does nothing until `start()`.
   */
  readonly checkpoint?: false | WalCheckpointOptions;
}

export type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** One condition of a filtered listing, with the named parameters it uses. */
export interface SqlFilter {
  readonly sql: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** A failure that only a bug or a tampered database can cause; it rolls the transaction back. */
export class StoreInvariantError extends Error {
  override readonly name = 'StoreInvariantError';
}

/** A port `limit` as SQLite's LIMIT: absent or infinite is -1 ("no limit"), nonsense is 0. */
export function sqlLimit(limit: number | undefined): number {
  if (limit === undefined || limit === Infinity) return -1;
  return Number.isNaN(limit) ? 0 : Math.max(0, Math.floor(limit));
}

/**
 * The caller's better-sqlite3 `Database` (opened with `openDatabase` or migrated with `migrate`)
 * and what every port module needs around it. Every read is one statement and every write one
 * BEGIN IMMEDIATE transaction: taking the write lock up front makes read-then-write inside it
 * safe against other connections and processes, and a transaction never has to be upgraded
 * (which could fail with SQLITE_BUSY without waiting). Taking the lock is the one place an
 * operation waits, and it waits on timers (see `lock-wait.ts`), never on the event loop.
 */
export class SqliteConnection {
  readonly db: BetterSqlite3.Database;
  readonly newId: () => string;
  readonly retryAfterSeconds: number;
  /** The lock-wait deadline and the Retry-After of the `StorageUnavailable` past it. */
  readonly lockWait: LockWait;
  /** `null`: every delete is its own transaction. */
  readonly groupCommit: ResolvedGroupCommit | null;
  readonly #selectImage: Statement;
  readonly #listings = new Map<string, Statement>();

  /** Throws when the schema is not current, and RangeError on nonsensical `lockWaitMs` or group-commit options. */
  constructor(db: BetterSqlite3.Database, options: SqliteStorageOptions = {}) {
    const pending = pendingMigrations(db);
    if (pending.length > 0) {
      const names = pending.map((m) => `${m.version} (${m.name})`).join(', ');
      throw new Error(
        `createSqliteStorage: the database schema is not current (pending migrations: ${names}); open it with openDatabase(), run migrate(db), or run image-catalog-sqlite-migrate <db-file> first`,
      );
    }
    if (options.lockWaitMs !== undefined && (!Number.isInteger(options.lockWaitMs) || options.lockWaitMs < 0)) {
      throw new RangeError('createSqliteStorage: lockWaitMs must be a non-negative integer');
    }
    this.groupCommit = resolveGroupCommit(options.groupCommit);
    const busyTimeoutMs = takeOverBusyTimeout(db);
    this.db = db;
    this.newId = options.newId ?? (() => globalThis.crypto.randomUUID());
    this.retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
    this.lockWait = { lockWaitMs: options.lockWaitMs ?? busyTimeoutMs, retryAfterSeconds: this.retryAfterSeconds };
    this.#selectImage = db.prepare(SELECT_ONE_IMAGE).raw(true);
  }

  /** Prepares each statement of a table of SQL texts, once, keeping its names. */
  prepareAll<K extends string>(statements: Readonly<Record<K, string>>): Record<K, Statement> {
    const entries = Object.entries<string>(statements).map(([name, sql]) => [name, this.db.prepare(sql)] as const);
    return Object.fromEntries(entries) as Record<K, Statement>;
  }

  /**
   * A read (one statement: in WAL mode it never waits for the writer). The rare SQLITE_BUSY a read
   * can get (a WAL being recovered or restarted) is retried like a lock; any other throw becomes a
   * `StorageError`.
   */
  read<T>(work: () => T): ResultAsync<T, StorageError> {
    return retryWhileLocked(() => {
      try {
        return { locked: false, result: ok(work()) };
      } catch (cause) {
        return this.#failed(cause, isBusy(cause));
      }
    }, this.lockWait);
  }

  /**
   * `fn` as one BEGIN IMMEDIATE transaction (a savepoint when already inside one), returned as a
   * port call. A throw rolls it back. When the lock is not free — BEGIN IMMEDIATE, or COMMIT,
   * fails with SQLITE_BUSY — nothing was written, and the whole of `fn` runs again, in a new
   * transaction on what is stored then, until the lock-wait deadline. A throw from `fn` itself is
   * its answer, never retried: it ran while holding the lock.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => ResultAsync<R, StorageError> {
    let bodyThrew = false;
    const tx = this.db.transaction((...args: A) => {
      try {
        return fn(...args);
      } catch (cause) {
        bodyThrew = true;
        throw cause;
      }
    });
    return (...args: A) =>
      retryWhileLocked(() => {
        bodyThrew = false;
        try {
          return { locked: false, result: ok(tx.immediate(...args)) };
        } catch (cause) {
          return this.#failed(cause, !bodyThrew && isBusy(cause));
        }
      }, this.lockWait);
  }

  #failed<T>(cause: unknown, locked: boolean): LockAttempt<T> {
    return locked ? { locked: true, cause } : { locked: false, result: err(toStorageError(cause, this.retryAfterSeconds)) };
  }

  /** The image with all its children, in one statement (`null`: unknown id). */
  readImage(imageId: string): Image | null {
    const raw = this.#selectImage.get(imageId) as unknown[] | undefined;
    return raw === undefined ? null : toImage(toImageRow(raw));
  }

  /**
   * `SELECT columns FROM from [WHERE filters…] ORDER BY orderBy LIMIT limit` (a `null` filter is
   * left out). A filtered listing comes in a few shapes; each is prepared once, on first use.
   */
  list<R>(
    select: { readonly columns: string; readonly from: string; readonly orderBy: string },
    filters: readonly (SqlFilter | null)[],
    limit: number | undefined,
  ): R[] {
    const used = filters.filter((f): f is SqlFilter => f !== null);
    const where = used.length > 0 ? `WHERE ${used.map((f) => f.sql).join(' AND ')}` : '';
    const sql = `SELECT ${select.columns} FROM ${select.from} ${where} ORDER BY ${select.orderBy} LIMIT @limit`;
    let statement = this.#listings.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#listings.set(sql, statement);
    }
    return statement.all(Object.assign({ limit: sqlLimit(limit) }, ...used.map((f) => f.params))) as R[];
  }
}
