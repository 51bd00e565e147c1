// The inversify module binding every storage port to the in-memory adapters.
import { TOKENS, type ImageDataStore } from '@image-catalog/core';
import { ContainerModule } from 'inversify';
import { MemoryImageDataStore } from './memory-image-data-store.js';
import { MemoryImageStore } from './memory-image-store.js';

/**
 * Binds `ImageRepository`, `ImageCatalog`, `DataDeletionJobQueue` and `EventOutbox` to one
 * `MemoryImageStore` (so a delete's cascade, jobs and event commit together), and
 * `ImageDataStore` to `dataStore`. Pass your own instances to inspect them or inject faults.
 * Load it next to `imageCatalogCoreModule`, which binds the use case.
 */
export function memoryImageCatalogModule(
  store: MemoryImageStore = new MemoryImageStore(),
  dataStore: ImageDataStore = new MemoryImageDataStore(),
): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.ImageRepository).toConstantValue(store);
    bind(TOKENS.ImageCatalog).toConstantValue(store);
    bind(TOKENS.DataDeletionJobQueue).toConstantValue(store);
    bind(TOKENS.EventOutbox).toConstantValue(store);
    bind(TOKENS.ImageDataStore).toConstantValue(dataStore);
  });
}
