// Wiring test: the core module plus the memory module give a working DeleteImage.
import { imageCatalogCoreModule, resolve, TOKENS } from '@image-catalog/core';
import { expectOk, imageFixture, projectMember, FIXTURE_OWNER, TEST_EPOCH } from '@image-catalog/testkit';
import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import { memoryImageCatalogModule } from './memory-image-catalog.module.js';
import { MemoryImageDataStore } from './memory-image-data-store.js';
import { createMemoryStorage } from './memory-storage.js';

describe('memoryImageCatalogModule', () => {
  it('binds every storage port to its port of one storage, and the data store', () => {
    const storage = createMemoryStorage();
    const dataStore = new MemoryImageDataStore();
    const container = new Container();
    container.load(memoryImageCatalogModule(storage, dataStore));
    expect(container.get(TOKENS.ImageRepository)).toBe(storage.images);
    expect(container.get(TOKENS.ImageCatalog)).toBe(storage.catalog);
    expect(container.get(TOKENS.DataDeletionJobQueue)).toBe(storage.jobs);
    expect(container.get(TOKENS.EventOutbox)).toBe(storage.outbox);
    expect(container.get(TOKENS.ImageDataStore)).toBe(dataStore);
  });

  it('with the core module, deletes an image and its data', async () => {
    const storage = createMemoryStorage();
    const dataStore = new MemoryImageDataStore();
    const url = dataStore.newUrl('fixture');
    dataStore.put(url, new Uint8Array([1]));
    const image = await expectOk(storage.catalog.createImage(imageFixture({ locations: [{ url }] }), TEST_EPOCH));

    const container = new Container();
    container.load(memoryImageCatalogModule(storage, dataStore), imageCatalogCoreModule);
    const deleted = await expectOk(
      resolve(container, TOKENS.DeleteImage).execute({ imageId: image.id, principal: projectMember(FIXTURE_OWNER) }),
    );

    expect(deleted).toMatchObject({ imageId: image.id, status: 'deleted', inlineDataDeletion: { done: 1 } });
    expect(dataStore.has(url)).toBe(false);
    expect(await expectOk(storage.jobs.counts())).toEqual({ queued: 0, done: 1, dead: 0, cancelled: 0 });
  });

  it('creates its own stores when given none, the ports sharing one state', async () => {
    const container = new Container();
    container.load(memoryImageCatalogModule());
    const image = await expectOk(resolve(container, TOKENS.ImageCatalog).createImage(imageFixture(), TEST_EPOCH));
    expect(await expectOk(resolve(container, TOKENS.ImageRepository).findById(image.id))).toEqual(image);
    expect(container.get(TOKENS.ImageDataStore)).toBeInstanceOf(MemoryImageDataStore);
  });
});
