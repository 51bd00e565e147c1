// The inversify module: binds the four storage ports and the WAL checkpointer of one createSqliteStorage over the host's Database.
import { ContainerModule } from 'inversify';
import type BetterSqlite3 from 'better-sqlite3';
import { TOKENS } from '@image-catalog/core';
import { createSqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js';

/**
 * Binds `ImageRepository`, `ImageCatalog`, `DataDeletionJobQueue` and `EventOutbox` to the ports
 * of one storage, so a delete, its jobs and its event share one connection and one transaction,
 * and `StorageBackgroundWork` to its WAL checkpointer, which the core's `start()` starts.
 * Load it with core's `imageCatalogCoreModule`; the host still binds `ImageDataStore`.
 */
export function sqliteImageCatalogModule(db: BetterSqlite3.Database, options: SqliteStorageOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const storage = createSqliteStorage(db, options);
    bind(TOKENS.ImageRepository).toConstantValue(storage.images);
    bind(TOKENS.ImageCatalog).toConstantValue(storage.catalog);
    bind(TOKENS.DataDeletionJobQueue).toConstantValue(storage.jobs);
    bind(TOKENS.EventOutbox).toConstantValue(storage.outbox);
    bind(TOKENS.StorageBackgroundWork).toConstantValue(storage.background);
  });
}
