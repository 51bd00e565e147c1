// The inversify module: binds the four storage ports to one PostgresImageStore over the host's pool.
import { ContainerModule } from 'inversify';
import { TOKENS } from '@image-catalog/core';
import type { PgPool } from './pg-pool.js';
import { PostgresImageStore, type PostgresImageStoreOptions } from './postgres-image-store.js';

/**
 * Binds `ImageRepository`, `ImageCatalog`, `DataDeletionJobQueue` and `EventOutbox` to a single
 * store, so a delete, its jobs and its event commit in one statement. Load it with core's
 * `imageCatalogCoreModule`; the host still binds `ImageDataStore`, and runs `migrate(pool)`
 * once before serving (it is asynchronous, a module load is not the place for it).
 */
export function postgresImageCatalogModule(pool: PgPool, options: PostgresImageStoreOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const store = new PostgresImageStore(pool, options);
    bind(TOKENS.ImageRepository).toConstantValue(store);
    bind(TOKENS.ImageCatalog).toConstantValue(store);
    bind(TOKENS.DataDeletionJobQueue).toConstantValue(store);
    bind(TOKENS.EventOutbox).toConstantValue(store);
  });
}
