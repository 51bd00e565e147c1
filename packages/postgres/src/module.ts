// The inversify module: binds the four storage ports of an opened PostgresStorage.
import { ContainerModule } from 'inversify';
import { TOKENS } from '@image-catalog/core';
import type { PostgresStorage } from './postgres-storage.js';

/**
 * Binds `ImageRepository`, `ImageCatalog`, `DataDeletionJobQueue` and `EventOutbox` to the ports
 * of `storage` (from `await openPostgresStorage(pool)`, which refuses a schema that is not
 * current), so a delete, its jobs and its event commit in one statement. Load it with core's
 * `imageCatalogCoreModule`; the host still binds `ImageDataStore`.
 */
export function postgresImageCatalogModule(storage: PostgresStorage): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ImageRepository).toConstantValue(storage.images);
    bind(TOKENS.ImageCatalog).toConstantValue(storage.catalog);
    bind(TOKENS.DataDeletionJobQueue).toConstantValue(storage.jobs);
    bind(TOKENS.EventOutbox).toConstantValue(storage.outbox);
  });
}
