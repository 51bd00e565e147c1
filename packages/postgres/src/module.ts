// The inversify module: binds the four storage ports to one PostgresImageStore.
import { ContainerModule } from 'inversify';
import { TOKENS } from '@image-catalog/core';
import type { PgPool } from './pg-pool.js';
import { PostgresImageStore, type PostgresImageStoreOptions } from './postgres-image-store.js';

/**
 * Binds `ImageRepository`, `ImageCatalog`, `DataDeletionJobQueue` and `EventOutbox` to a single
 * store, so a delete, its jobs and its event commit in one statement. Load it with core's
 * `imageCatalogCoreModule`; the host still binds `ImageDataStore`.
 *
 * Pass the store `await createPostgresImageStore(pool, options)` gave you: it has checked that the
 * schema is current (a module load is synchronous, so it cannot). Given a pool, the module opens an
 * unchecked store: the host must have run `migrate(pool)` or `assertSchemaCurrent(pool)` first.
 */
export function postgresImageCatalogModule(store: PostgresImageStore): ContainerModule;
export function postgresImageCatalogModule(pool: PgPool, options?: PostgresImageStoreOptions): ContainerModule;
export function postgresImageCatalogModule(source: PostgresImageStore | PgPool, options: PostgresImageStoreOptions = {}): ContainerModule {
  return new ContainerModule(({ bind }) => {
    const store = source instanceof PostgresImageStore ? source : new PostgresImageStore(source, options);
    bind(TOKENS.ImageRepository).toConstantValue(store);
    bind(TOKENS.ImageCatalog).toConstantValue(store);
    bind(TOKENS.DataDeletionJobQueue).toConstantValue(store);
    bind(TOKENS.EventOutbox).toConstantValue(store);
  });
}
