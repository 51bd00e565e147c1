// The repository contract's authoring part: createImage, findById, listImages, updateImage, addMember, attachImageData.
import { newImageRecord, type NewImage } from '@image-catalog/core/authoring';
import { describe, expect, it } from 'vitest';
import { T0, T1, T2 } from '../contract-times.js';
import { expectErr, expectOk } from '../expect-result.js';
import { emptyImageFixture, FIXTURE_OWNER, fixtureLocations, imageFixture } from '../fixtures/image-fixture.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import { createFixtureImage, deleteThroughRepository, findImage, imageSnapshot } from '../harness-helpers.js';
import type { StorageHarness, StorageHarnessFactory } from '../storage-harness.js';
import { describeImageRepositoryParts, type ImageRepositoryPart } from './image-repository-suite.js';

/** `authoring`: creating, reading, listing and changing images through ImageCatalog, and the copies the store hands out. */
export const authoringPart: ImageRepositoryPart = (h) => {
  describe('authoring', () => {
    creatingAndReading(h);
    changing(h);
  });
};

/** Runs only the authoring part of the ImageRepository & ImageCatalog contract. */
export function describeImageRepositoryAuthoring(name: string, factory: StorageHarnessFactory): void {
  describeImageRepositoryParts(name, factory, [authoringPart]);
}

function creatingAndReading(h: () => StorageHarness): void {
  it('createImage stores the image with Glance defaults and findById returns it', async () => {
    const input: NewImage = { id: globalThis.crypto.randomUUID(), owner: 'p1' };
    const created = await expectOk(h().catalog.createImage(input, T0));
    expect(created).toEqual(newImageRecord(input, T0));
    expect(created).toMatchObject({
      status: 'queued',
      visibility: 'shared',
      protected: false,
      deleted: false,
      deletedAt: null,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(await findImage(h(), input.id)).toEqual(created);
  });

  it('createImage keeps every given field, members as pending and locations active in order', async () => {
    const id = globalThis.crypto.randomUUID();
    const input = imageFixture({
      id,
      members: [{ memberId: 'p2' }, { memberId: 'p3', status: 'accepted' }],
      locations: fixtureLocations(id, 3),
    });
    const created = await expectOk(h().catalog.createImage(input, T0));
    expect(created).toMatchObject({
      id,
      name: input.name,
      owner: FIXTURE_OWNER,
      status: 'active',
      visibility: 'private',
      size: 1024,
      virtualSize: 4096,
      checksum: input.checksum,
      osHashAlgo: 'sha512',
      osHashValue: input.osHashValue,
      diskFormat: 'qcow2',
      containerFormat: 'bare',
      minDisk: 1,
      minRam: 512,
      properties: input.properties,
    });
    expect([...created.tags].sort()).toEqual([...(input.tags ?? [])].sort());
    expect(created.members).toEqual([
      { memberId: 'p2', status: 'pending', createdAt: T0, updatedAt: T0 },
      { memberId: 'p3', status: 'accepted', createdAt: T0, updatedAt: T0 },
    ]);
    expect(created.locations.map((l) => [l.url, l.status, l.metadata])).toEqual(input.locations!.map((l) => [l.url, 'active', l.metadata]));
    expect(new Set(created.locations.map((l) => l.id)).size).toBe(3);
    expect(await findImage(h(), id)).toEqual(created);
  });

  it('findById answers null for an unknown id', async () => {
    expect(await expectOk(h().images.findById(globalThis.crypto.randomUUID()))).toBeNull();
  });

  it('createImage answers Conflict for a taken id, even one of a deleted image, and changes nothing', async () => {
    const image = await createFixtureImage(h());
    const again = await expectErr(h().catalog.createImage(imageFixture({ id: image.id, name: 'other' }), T1));
    expect(again.kind).toBe('Conflict');
    expect(await findImage(h(), image.id)).toEqual(image);

    await deleteThroughRepository(h(), image, T1);
    const afterDelete = await expectErr(h().catalog.createImage(imageFixture({ id: image.id }), T2));
    expect(afterDelete.kind).toBe('Conflict');
    expect((await findImage(h(), image.id)).status).toBe('deleted');
  });

  it('hands out copies: changing a returned image or the input changes nothing stored', async () => {
    const input = imageFixture({ properties: { k: 'v' } });
    const created = await createFixtureImage(h(), input);
    (input.properties as Record<string, string>)['k'] = 'changed-input';
    (created.properties as Record<string, string>)['k'] = 'changed-output';
    (created.tags as string[]).push('changed');
    created.createdAt.setTime(0);
    const found = await findImage(h(), created.id);
    expect(found.properties).toEqual({ k: 'v' });
    expect(found.tags).not.toContain('changed');
    expect(found.createdAt).toEqual(T0);
  });

  it('listImages lists live images oldest first, filters by exact name and honours limit', async () => {
    const a = await createFixtureImage(h(), { name: 'alpha' }, T0);
    const b = await createFixtureImage(h(), { name: 'beta' }, secondsAfter(T0, 1));
    const c = await createFixtureImage(h(), { name: 'alpha' }, secondsAfter(T0, 2));
    const d = await createFixtureImage(h(), { name: 'alpha' }, secondsAfter(T0, 3));
    const e = await createFixtureImage(h(), { name: 'alpha' }, secondsAfter(T0, 4));
    await deleteThroughRepository(h(), d, T1);
    await deleteThroughRepository(h(), e, T1, { delayed: true });

    const ids = async (query: Parameters<StorageHarness['catalog']['listImages']>[0]) =>
      (await expectOk(h().catalog.listImages(query))).map((i) => i.id);
    expect(await ids({})).toEqual([a.id, b.id, c.id]);
    expect(await ids({ name: 'alpha' })).toEqual([a.id, c.id]);
    expect(await ids({ name: 'alph' })).toEqual([]);
    expect(await ids({ limit: 2 })).toEqual([a.id, b.id]);
    expect(await ids({ name: 'alpha', limit: 1 })).toEqual([a.id]);
  });
}

function changing(h: () => StorageHarness): void {
  it('updateImage applies only the given fields and sets updatedAt', async () => {
    const image = await createFixtureImage(h(), { name: 'before', visibility: 'private' });
    const updated = await expectOk(h().catalog.updateImage(image.id, { protected: true, name: 'after' }, T1));
    expect(updated).toEqual({ ...image, protected: true, name: 'after', updatedAt: T1 });
    expect(await findImage(h(), image.id)).toEqual(updated);

    const more = await expectOk(h().catalog.updateImage(image.id, { visibility: 'community', status: 'deactivated', name: null }, T2));
    expect(more).toEqual({ ...image, protected: true, name: null, visibility: 'community', status: 'deactivated', updatedAt: T2 });
  });

  it('updateImage, addMember and attachImageData answer null for an unknown image', async () => {
    const id = globalThis.crypto.randomUUID();
    expect(await expectOk(h().catalog.updateImage(id, { protected: true }, T1))).toBeNull();
    expect(await expectOk(h().catalog.addMember(id, 'p2', T1))).toBeNull();
    expect(
      await expectOk(
        h().catalog.attachImageData(id, { url: 'fixture://x', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h' }, T1),
      ),
    ).toBeNull();
    expect(await expectOk(h().images.findById(id))).toBeNull();
  });

  it.each(['deleted', 'pending_delete'] as const)(
    'updateImage refuses to set status %s (only deleteImage deletes) and changes nothing',
    async (status) => {
      const image = await createFixtureImage(h());
      const error = await expectErr(h().catalog.updateImage(image.id, { status }, T1));
      expect(error.kind).toBe('StorageFault');
      expect(await imageSnapshot(h(), image.id)).toEqual({ image, jobs: [], events: [] });
    },
  );

  it('addMember adds a pending member once; adding it again keeps the first', async () => {
    const image = await createFixtureImage(h());
    const member = await expectOk(h().catalog.addMember(image.id, 'p2', T1));
    expect(member).toEqual({ memberId: 'p2', status: 'pending', createdAt: T1, updatedAt: T1 });
    const again = await expectOk(h().catalog.addMember(image.id, 'p2', T2));
    expect(again).toEqual(member);
    await expectOk(h().catalog.addMember(image.id, 'p3', T2));
    expect((await findImage(h(), image.id)).members.map((m) => m.memberId)).toEqual(['p2', 'p3']);
  });

  it('attachImageData adds an active location, sets size and digests and makes the image active', async () => {
    const image = await expectOk(h().catalog.createImage(emptyImageFixture(), T0));
    const data = {
      url: 'fixture://uploaded/1',
      size: 42,
      checksum: 'c'.repeat(32),
      osHashAlgo: 'sha512',
      osHashValue: 'd'.repeat(128),
      metadata: { store: 'test' },
    };
    const attached = await expectOk(h().catalog.attachImageData(image.id, data, T1));
    expect(attached).toMatchObject({
      status: 'active',
      size: 42,
      checksum: data.checksum,
      osHashAlgo: 'sha512',
      osHashValue: data.osHashValue,
      updatedAt: T1,
    });
    expect(attached?.locations.map((l) => [l.url, l.status, l.metadata])).toEqual([['fixture://uploaded/1', 'active', { store: 'test' }]]);
    expect(await findImage(h(), image.id)).toEqual(attached);

    const second = await expectOk(h().catalog.attachImageData(image.id, { ...data, url: 'fixture://uploaded/2', metadata: undefined }, T2));
    expect(second?.locations.map((l) => l.url)).toEqual(['fixture://uploaded/1', 'fixture://uploaded/2']);
  });

  it.each([
    ['deleted', false],
    ['pending_delete', true],
  ] as const)('a %s image cannot be updated, joined or given data: null, and nothing changes', async (_status, delayed) => {
    const image = await createFixtureImage(h());
    await deleteThroughRepository(h(), image, T1, { delayed });
    const before = await imageSnapshot(h(), image.id);
    expect(await expectOk(h().catalog.updateImage(image.id, { protected: true, name: 'x' }, T2))).toBeNull();
    expect(await expectOk(h().catalog.addMember(image.id, 'p9', T2))).toBeNull();
    expect(
      await expectOk(
        h().catalog.attachImageData(
          image.id,
          { url: 'fixture://late', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h' },
          T2,
        ),
      ),
    ).toBeNull();
    expect(await imageSnapshot(h(), image.id)).toEqual(before);
  });
}
