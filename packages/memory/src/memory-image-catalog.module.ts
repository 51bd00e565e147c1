// The inversify module binding every storage port to the in-memory adapters.
import { TOKENS, type ImageDataStore } from '@image-catalog/core';
import { ContainerModule } from 'inversify';
import { MemoryImageDataStore } from './memory-image-data-store.js';
import { createMemoryStorage, type MemoryStorage } from './memory-storage.js';

/**
 * Binds `ImageRepository`, `ImageCatalog`, `DataDeletionJobQueue` and `EventOutbox` to the ports
 * of one `MemoryStorage` (so a delete's image row, jobs and event commit together), and
 * `ImageDataStore` to `dataStore`. Pass your own instances to inspect them or inject faults.
 * Load it next to `imageCatalogCoreModule`, which binds the use case.
 */
export function memoryImageCatalogModule(
  storage: MemoryStorage = createMemoryStorage(),
  dataStore: ImageDataStore = new MemoryImageDataStore(),
): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ImageRepository).toConstantValue(storage.images);
    bind(TOKENS.ImageCatalog).toConstantValue(storage.catalog);
    bind(TOKENS.DataDeletionJobQueue).toConstantValue(storage.jobs);
    bind(TOKENS.EventOutbox).toConstantValue(storage.outbox);
    bind(TOKENS.ImageDataStore).toConstantValue(dataStore);
  });
}
