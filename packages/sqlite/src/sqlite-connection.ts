// The connection the four SQLite port modules share: the Database, the image read, transactions, error mapping, options.
import type { ResultAsync } from 'neverthrow';
import type BetterSqlite3 from 'better-sqlite3';
import { DEFAULT_RETRY_AFTER_SECONDS, type Image, type StorageError } from '@image-catalog/core';
import { toImage, type ImageRow } from '@image-catalog/sql-kit';
import { resolveGroupCommit, type GroupCommitOptions, type ResolvedGroupCommit } from './group-commit.js';
import { pendingMigrations } from './migrations.js';
import { SELECT_IMAGE } from './rows.js';
import { runSync } from './storage-errors.js';

export interface SqliteStorageOptions {
  /** Ids for new data-deletion jobs and uploaded-data locations (default: random UUIDs). */
  readonly newId?: () => string;
  /** `retryAfterSeconds` of the `StorageUnavailable` errors the storage reports (default 5). */
  readonly retryAfterSeconds?: number;
  /**
   * Group commit for `deleteImage` (default off): deletes issued in the same event-loop turn are
   * committed by one `BEGIN IMMEDIATE … COMMIT`, each in its own savepoint, so a durable
   * (`synchronous: 'FULL'`) database pays one fsync per batch instead of one per delete. Each
   * request still gets its own outcome or error, settled after the COMMIT. `true` uses the
   * defaults (`maxBatch` 64, flush on `setImmediate`). Other methods are not batched.
   */
  readonly groupCommit?: boolean | GroupCommitOptions;
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
 * and what every port module needs around it. Every port method is one statement or one
 * BEGIN IMMEDIATE transaction: taking the write lock up front makes read-then-write inside it
 * safe against other connections and processes, and a transaction never has to be upgraded
 * (which could fail with SQLITE_BUSY without waiting).
 */
export class SqliteConnection {
  readonly db: BetterSqlite3.Database;
  readonly newId: () => string;
  readonly retryAfterSeconds: number;
  /** `null`: every delete is its own transaction. */
  readonly groupCommit: ResolvedGroupCommit | null;
  readonly #selectImage: Statement;
  readonly #listings = new Map<string, Statement>();

  /** Throws when the schema is not current, and RangeError on nonsensical group-commit options. */
  constructor(db: BetterSqlite3.Database, options: SqliteStorageOptions = {}) {
    const pending = pendingMigrations(db);
    if (pending.length > 0) {
      const names = pending.map((m) => `${m.version} (${m.name})`).join(', ');
      throw new Error(
        `createSqliteStorage: the database schema is not current (pending migrations: ${names}); open it with openDatabase(), run migrate(db), or run image-catalog-sqlite-migrate <db-file> first`,
      );
    }
    this.db = db;
    this.newId = options.newId ?? (() => globalThis.crypto.randomUUID());
    this.retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
    this.groupCommit = resolveGroupCommit(options.groupCommit);
    this.#selectImage = db.prepare(`${SELECT_IMAGE} WHERE i.id = ?`);
  }

  /** Prepares each statement of a table of SQL texts, once, keeping its names. */
  prepareAll<K extends string>(statements: Readonly<Record<K, string>>): Record<K, Statement> {
    const entries = Object.entries<string>(statements).map(([name, sql]) => [name, this.db.prepare(sql)] as const);
    return Object.fromEntries(entries) as Record<K, Statement>;
  }

  /** Runs synchronous database work as the ports' `ResultAsync`; a throw becomes a `StorageError`. */
  run<T>(work: () => T): ResultAsync<T, StorageError> {
    return runSync(work, this.retryAfterSeconds);
  }

  /** `fn` as one BEGIN IMMEDIATE transaction (a savepoint when already inside one); a throw rolls it back. */
  immediate<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const tx = this.db.transaction(fn);
    return (...args: A) => tx.immediate(...args);
  }

  /** The image with all its children, in one statement (`null`: unknown id). */
  readImage(imageId: string): Image | null {
    const row = this.#selectImage.get(imageId) as ImageRow | undefined;
    return row === undefined ? null : toImage(row);
  }

  /**
   * `SELECT columns FROM from [WHERE filters…] ORDER BY orderBy LIMIT limit` (a `null` filter is
   * left out). A filtered listing comes in a few shapes; each is prepared once, on first use.
   */
  list<R>(select: { readonly columns: string; readonly from: string; readonly orderBy: string }, filters: readonly (SqlFilter | null)[], limit: number | undefined): R[] {
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
