// The inversify module: binds the four storage ports to one SqliteImageStore over the host's Database.
import { ContainerModule } from 'inversify';
import type BetterSqlite3 from 'better-sqlite3';
import { TOKENS } from '@image-catalog/core';
import { SqliteImageStore, type SqliteImageStoreOptions } from './sqlite-image-store.js';

/**
 * Binds `ImageRepository`, `ImageCatalog`, `DataDeletionJobQueue` and `EventOutbox` to a single
 * store, so a delete, its jobs and its event share one connection and one transaction. Load it
 * with core's `imageCatalogCoreModule`; the host still binds `ImageDataStore`.
 */
export function sqliteImageCatalogModule(db: BetterSqlite3.Database, options: SqliteImageStoreOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const store = new SqliteImageStore(db, options);
    bind(TOKENS.ImageRepository).toConstantValue(store);
    bind(TOKENS.ImageCatalog).toConstantValue(store);
    bind(TOKENS.DataDeletionJobQueue).toConstantValue(store);
    bind(TOKENS.EventOutbox).toConstantValue(store);
  });
}
