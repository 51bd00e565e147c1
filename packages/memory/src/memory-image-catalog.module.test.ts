// Wiring test: the core module plus the memory module give a working DeleteImage.
import { imageCatalogCoreModule, resolve, TOKENS } from '@image-catalog/core';
import { expectOk, imageFixture, projectMember, FIXTURE_OWNER, TEST_EPOCH } from '@image-catalog/testkit';
import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import { memoryImageCatalogModule } from './memory-image-catalog.module.js';
import { MemoryImageDataStore } from './memory-image-data-store.js';
import { MemoryImageStore } from './memory-image-store.js';

describe('memoryImageCatalogModule', () => {
  it('binds every storage port to one store and the data store', () => {
    const store = new MemoryImageStore();
    const dataStore = new MemoryImageDataStore();
    const container = new Container();
    container.load(memoryImageCatalogModule(store, dataStore));
    for (const token of [TOKENS.ImageRepository, TOKENS.ImageCatalog, TOKENS.DataDeletionJobQueue, TOKENS.EventOutbox]) {
      expect(container.get(token)).toBe(store);
    }
    expect(container.get(TOKENS.ImageDataStore)).toBe(dataStore);
  });

  it('with the core module, deletes an image and its data', async () => {
    const store = new MemoryImageStore();
    const dataStore = new MemoryImageDataStore();
    const url = dataStore.newUrl('fixture');
    dataStore.put(url, new Uint8Array([1]));
    const image = await expectOk(store.createImage(imageFixture({ locations: [{ url }] }), TEST_EPOCH));

    const container = new Container();
    container.load(memoryImageCatalogModule(store, dataStore), imageCatalogCoreModule);
    const deleted = await expectOk(resolve(container, TOKENS.DeleteImage).execute({ imageId: image.id, principal: projectMember(FIXTURE_OWNER) }));

    expect(deleted).toMatchObject({ imageId: image.id, status: 'deleted', inlineDataDeletion: { done: 1 } });
    expect(dataStore.has(url)).toBe(false);
    expect(await expectOk(store.counts())).toEqual({ queued: 0, done: 1, dead: 0, cancelled: 0 });
  });

  it('creates its own stores when given none', () => {
    const container = new Container();
    container.load(memoryImageCatalogModule());
    expect(container.get(TOKENS.ImageRepository)).toBeInstanceOf(MemoryImageStore);
    expect(container.get(TOKENS.ImageDataStore)).toBeInstanceOf(MemoryImageDataStore);
  });
});
