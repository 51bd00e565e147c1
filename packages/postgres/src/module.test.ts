// The inversify module wires the PostgreSQL ports under every storage token; the use cases run end to end through it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Container } from 'inversify';
import { imageCatalogCoreModule, resolve, TOKENS } from '@image-catalog/core';
import { fixedClock, fixtureLocations, imageFixture, RecordingImageDataStore } from '@image-catalog/testkit';
import { postgresImageCatalogModule } from './module.js';
import { openPostgresStorage } from './postgres-storage.js';
import { admin } from './test-support/fixtures.js';
import { createTestSchema, postgresUnreachable, skipNote, type TestSchema } from './test-support/test-database.js';

const NOW = new Date('2025-02-01T00:00:00.000Z');

describe.skipIf(postgresUnreachable !== null)(`postgres: inversify module${skipNote}`, () => {
  let db: TestSchema;

  beforeAll(async () => {
    db = await createTestSchema();
  });

  afterAll(async () => {
    await db?.close();
  });

  async function container(options: { delaySeconds?: number } = {}) {
    const dataStore = new RecordingImageDataStore();
    const c = new Container();
    c.bind(TOKENS.ImageDataStore).toConstantValue(dataStore);
    c.bind(TOKENS.Clock).toConstantValue(fixedClock(NOW));
    if (options.delaySeconds !== undefined)
      c.bind(TOKENS.DeleteImageOptions).toConstantValue({ delayedDelete: { delaySeconds: options.delaySeconds } });
    const storage = await openPostgresStorage(db.pool, { schema: db.schema });
    c.load(postgresImageCatalogModule(storage), imageCatalogCoreModule);
    return { c, dataStore, storage };
  }

  it('binds the four ports of one opened storage to the four storage tokens', async () => {
    const { c, storage } = await container();
    expect(resolve(c, TOKENS.ImageRepository)).toBe(storage.images);
    expect(resolve(c, TOKENS.ImageCatalog)).toBe(storage.catalog);
    expect(resolve(c, TOKENS.DataDeletionJobQueue)).toBe(storage.jobs);
    expect(resolve(c, TOKENS.EventOutbox)).toBe(storage.outbox);
  });

  it('DeleteImage deletes, runs the data deletion inline and leaves one event for the relay', async () => {
    const { c, dataStore } = await container();
    const id = globalThis.crypto.randomUUID();
    await resolve(c, TOKENS.ImageCatalog).createImage(imageFixture({ id, locations: fixtureLocations(id, 2) }), NOW);
    const deleted = (await resolve(c, TOKENS.DeleteImage).execute({ imageId: id, principal: admin }))._unsafeUnwrap();
    expect(deleted).toMatchObject({ imageId: id, status: 'deleted', dataDeletionJobs: 2, inlineDataDeletion: { done: 2 } });
    expect([...dataStore.calls].sort()).toEqual(
      fixtureLocations(id, 2)
        .map((l) => l.url)
        .sort(),
    );
    expect((await resolve(c, TOKENS.DataDeletionJobQueue).listJobs({ imageId: id }))._unsafeUnwrap().map((j) => j.state)).toEqual([
      'done',
      'done',
    ]);
    expect((await resolve(c, TOKENS.EventOutbox).listEvents({ imageId: id }))._unsafeUnwrap()).toHaveLength(1);
  });

  it('delayed mode: RestoreImage brings the image back before the scrubber claims its data', async () => {
    const { c, dataStore } = await container({ delaySeconds: 3600 });
    const id = globalThis.crypto.randomUUID();
    await resolve(c, TOKENS.ImageCatalog).createImage(imageFixture({ id }), NOW);
    expect((await resolve(c, TOKENS.DeleteImage).execute({ imageId: id, principal: admin }))._unsafeUnwrap().status).toBe('pending_delete');
    const restored = (await resolve(c, TOKENS.RestoreImage).execute({ imageId: id, principal: admin }))._unsafeUnwrap();
    expect(restored).toMatchObject({ imageId: id, status: 'active' });
    expect(dataStore.calls).toEqual([]);
  });
});
