// createSqliteStorage: the four storage ports of the catalog over one SQLite connection.
import type BetterSqlite3 from 'better-sqlite3';
import type { DataDeletionJobQueue, EventOutbox, ImageRepository } from '@image-catalog/core';
import { checkedImageCatalog, validImageQuotas, type ImageCatalog } from '@image-catalog/core/authoring';
import { SqliteConnection, type SqliteStorageOptions } from './sqlite-connection.js';
import { SqliteImageCatalog } from './sqlite-image-catalog.js';
import { SqliteImageRepository } from './sqlite-image-repository.js';
import { SqliteJobQueue } from './sqlite-job-queue.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type { SqliteStorageOptions } from './sqlite-connection.js';

/** The catalog's storage ports, sharing one `Database`: a delete, its jobs and its event commit together. */
export interface SqliteStorage {
  /** The delete side: `findById`, `deleteImage`, `restoreImage`. */
  readonly images: ImageRepository;
  /** The scrubber's data-deletion job queue. */
  readonly jobs: DataDeletionJobQueue;
  /** The outbox relay's source. */
  readonly outbox: EventOutbox;
  /** Authoring: creating, listing and changing images (fixture routes, seeding). */
  readonly catalog: ImageCatalog;
  /**
   * The WAL checkpointer, which keeps checkpoints off the request path once started. The front
   * door (`createImageCatalog`, or core's `createImageCatalogCore`) starts and stops it with the
   * scrubber and the relay; a host that wires the ports itself calls `start()` and `stop()`.
   */
  readonly background: WalCheckpointer;
}

/**
 * The four ports over the caller's better-sqlite3 `Database` (opened with `openDatabase`, or
 * migrated with `migrate`), and its WAL checkpointer (not started); statements are prepared once,
 * here. Throws when the schema is not current (naming the pending migrations) and RangeError on
 * nonsensical `lockWaitMs`, `groupCommit`, `quotas` or `checkpoint` options.
 */
export function createSqliteStorage(db: BetterSqlite3.Database, options: SqliteStorageOptions = {}): SqliteStorage {
  const quotas = validImageQuotas(options.quotas, 'createSqliteStorage');
  const connection = new SqliteConnection(db, options);
  return {
    images: new SqliteImageRepository(connection),
    jobs: new SqliteJobQueue(connection),
    outbox: new SqliteOutbox(connection),
    catalog: checkedImageCatalog(new SqliteImageCatalog(connection, quotas)),
    background: new WalCheckpointer(db, options.checkpoint),
  };
}
