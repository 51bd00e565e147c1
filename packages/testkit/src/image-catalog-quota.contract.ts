// The ImageCatalog quota contract: image_count_total at createImage, image_size_total at attachImageData, per project, enforced atomically on every adapter.
import type { Image } from '@image-catalog/core';
import type { ImageDataRecord, ImageQuotas, NewImage, QuotaExceeded } from '@image-catalog/core/authoring';
import { describe, expect, it } from 'vitest';
import { T0, T1, T2 } from './contract-times.js';
import { expectErr, expectOk } from './expect-result.js';
import { emptyImageFixture } from './fixtures/image-fixture.js';
import { deleteThroughRepository, findImage } from './harness-helpers.js';
import type { StorageHarness } from './storage-harness.js';
import { useHarness } from './use-harness.js';

/**
 * A fresh, empty store whose catalog enforces `quotas` (the adapter's factory option, e.g.
 * `createSqliteStorage(db, { quotas })`). The storage ports must be able to run at least
 * {@link RACERS} calls at once on separate connections (a pool of that many), so the races race.
 */
export type ImageQuotaHarnessFactory = (quotas: ImageQuotas) => Promise<StorageHarness> | StorageHarness;

/** Concurrent calls in the race tests. */
export const RACERS = 6;

const COUNT_LIMIT = 2;
const SIZE_LIMIT = 100;
const QUOTAS: ImageQuotas = { imageCountTotal: COUNT_LIMIT, imageSizeTotal: SIZE_LIMIT };

/** A queued image of `owner` without data (`null`: an admin's image without owner). */
const queued = (owner: string | null, overrides: Partial<NewImage> = {}): NewImage => emptyImageFixture({ owner, ...overrides });

function data(size: number): ImageDataRecord {
  const url = `fixture://uploaded/${globalThis.crypto.randomUUID()}`;
  return { url, size, checksum: 'c'.repeat(32), osHashAlgo: 'sha512', osHashValue: 'ab'.repeat(64) };
}

async function create(h: StorageHarness, owner: string | null): Promise<Image> {
  return expectOk(h.catalog.createImage(queued(owner), T0));
}

async function createWithData(h: StorageHarness, owner: string | null, size: number): Promise<Image> {
  const image = await create(h, owner);
  const attached = await expectOk(h.catalog.attachImageData(image.id, data(size), T1));
  if (attached === null) expect.fail(`image ${image.id} was not live`);
  return attached;
}

/** The live images of `owner` (and their number), through the catalog's listing. */
async function liveOwnedBy(h: StorageHarness, owner: string): Promise<Image[]> {
  return (await expectOk(h.catalog.listImages({ limit: 1000 }))).filter((i) => i.owner === owner);
}

function exceeded(resource: QuotaExceeded['resource'], projectId: string, limit: number, usage: number, delta: number): QuotaExceeded {
  return {
    kind: 'QuotaExceeded',
    resource,
    projectId,
    limit,
    usage,
    delta,
    message: `Project ${projectId} is over a limit for [Resource ${resource} is over limit of ${limit} due to current usage ${usage} and delta ${delta}]`,
  };
}

/** Registers the quota contract of `ImageCatalog` for an adapter; every test gets its own empty store. */
export function describeImageCatalogQuotaContract(name: string, factory: ImageQuotaHarnessFactory): void {
  describe(`${name}: ImageCatalog quota contract`, () => {
    describe(`image_count_total = ${COUNT_LIMIT}, image_size_total = ${SIZE_LIMIT}`, () => {
      const h = useHarness(() => factory(QUOTAS));
      countTotal(h);
      sizeTotal(h);
      countRace(h);
    });

    describe(`image_size_total = ${SIZE_LIMIT} alone`, () => {
      const h = useHarness(() => factory({ imageSizeTotal: SIZE_LIMIT }));
      sizeRace(h);
    });

    describe('image_count_total = 0, image_size_total = 0', () => {
      const h = useHarness(() => factory({ imageCountTotal: 0, imageSizeTotal: 0 }));

      it('refuses every image of a project, and still takes images without owner and their data', async () => {
        const input = queued('p1');
        expect(await expectErr(h().catalog.createImage(input, T0))).toEqual(exceeded('image_count_total', 'p1', 0, 0, 1));
        expect(await expectOk(h().images.findById(input.id))).toBeNull();
        const ownerless = await createWithData(h(), null, 10);
        expect(ownerless).toMatchObject({ owner: null, status: 'active', size: 10 });
      });
    });

    describe('without quotas', () => {
      const h = useHarness(() => factory({}));

      it('takes any number of images and bytes', async () => {
        for (let i = 0; i < COUNT_LIMIT + 2; i += 1) await createWithData(h(), 'p1', Number.MAX_SAFE_INTEGER);
        expect(await liveOwnedBy(h(), 'p1')).toHaveLength(COUNT_LIMIT + 2);
      });
    });

    it.each([{ imageCountTotal: -1 }, { imageSizeTotal: 0.5 }, { imageCountTotal: Number.NaN }, { imageCountTotl: 1 } as ImageQuotas])(
      'the factory refuses quotas %j with a RangeError',
      async (quotas) => {
        const opened = Promise.resolve().then(() => factory(quotas));
        await expect(opened).rejects.toBeInstanceOf(RangeError);
      },
    );
  });
}

function countTotal(h: () => StorageHarness): void {
  describe('image_count_total (createImage)', () => {
    it('takes images up to the limit, then refuses one more with QuotaExceeded and stores nothing', async () => {
      await create(h(), 'p1');
      await create(h(), 'p1');
      const third = queued('p1');
      expect(await expectErr(h().catalog.createImage(third, T0))).toEqual(exceeded('image_count_total', 'p1', COUNT_LIMIT, 2, 1));
      expect(await expectOk(h().images.findById(third.id))).toBeNull();
      expect(await liveOwnedBy(h(), 'p1')).toHaveLength(COUNT_LIMIT);
    });

    it('is checked before the id: at the limit, a taken id is QuotaExceeded too (Glance checks the quota first)', async () => {
      const first = await create(h(), 'p1');
      await create(h(), 'p1');
      expect(await expectErr(h().catalog.createImage(queued('p1', { id: first.id }), T0))).toMatchObject({ kind: 'QuotaExceeded' });
    });

    it('counts each project alone, and never images without owner', async () => {
      await create(h(), 'p1');
      await create(h(), 'p1');
      for (let i = 0; i < COUNT_LIMIT + 1; i += 1) await create(h(), null);
      await create(h(), 'p2');
      await create(h(), 'p2');
      expect(await expectErr(h().catalog.createImage(queued('p2'), T0))).toMatchObject({ kind: 'QuotaExceeded', projectId: 'p2' });
      expect(await liveOwnedBy(h(), 'p2')).toHaveLength(COUNT_LIMIT);
    });

    it.each([false, true])('a deleted image (delayed delete: %s) no longer counts', async (delayed) => {
      const first = await create(h(), 'p1');
      await create(h(), 'p1');
      await deleteThroughRepository(h(), first, T1, { delayed });
      await expectOk(h().catalog.createImage(queued('p1'), T2));
      expect(await expectErr(h().catalog.createImage(queued('p1'), T2))).toMatchObject({ usage: COUNT_LIMIT });
    });
  });
}

function sizeTotal(h: () => StorageHarness): void {
  describe('image_size_total (attachImageData)', () => {
    it('takes data up to the limit, then refuses data that would cross it: nothing recorded, the image stays queued', async () => {
      await createWithData(h(), 'p1', 60);
      const second = await create(h(), 'p1');
      const tooMuch = data(41);
      expect(await expectErr(h().catalog.attachImageData(second.id, tooMuch, T1))).toEqual(
        exceeded('image_size_total', 'p1', SIZE_LIMIT, 60, 41),
      );
      expect(await findImage(h(), second.id)).toEqual(second);
      // Exactly the limit is fine.
      expect(await expectOk(h().catalog.attachImageData(second.id, data(40), T1))).toMatchObject({ status: 'active', size: 40 });
    });

    it('counts the image’s own earlier data as replaced, not added', async () => {
      const image = await createWithData(h(), 'p1', 70);
      expect(await expectOk(h().catalog.attachImageData(image.id, data(90), T2))).toMatchObject({ size: 90 });
    });

    it('counts each project alone, and never images without owner', async () => {
      await createWithData(h(), 'p1', SIZE_LIMIT);
      await createWithData(h(), null, 1000);
      await createWithData(h(), 'p2', SIZE_LIMIT);
      const more = await create(h(), 'p1');
      expect(await expectErr(h().catalog.attachImageData(more.id, data(1), T1))).toEqual(
        exceeded('image_size_total', 'p1', SIZE_LIMIT, SIZE_LIMIT, 1),
      );
    });

    it('a deleted image’s data no longer counts', async () => {
      const full = await createWithData(h(), 'p1', SIZE_LIMIT);
      const next = await create(h(), 'p1');
      await deleteThroughRepository(h(), full, T2);
      expect(await expectOk(h().catalog.attachImageData(next.id, data(SIZE_LIMIT), T2))).toMatchObject({ size: SIZE_LIMIT });
    });

    it('an image that is not live is null, as without quotas', async () => {
      const image = await create(h(), 'p1');
      await deleteThroughRepository(h(), image, T1);
      expect(await expectOk(h().catalog.attachImageData(image.id, data(1), T2))).toBeNull();
      expect(await expectOk(h().catalog.attachImageData(globalThis.crypto.randomUUID(), data(1), T2))).toBeNull();
    });
  });
}

function countRace(h: () => StorageHarness): void {
  it(`${RACERS} concurrent creates of a project at limit - 1: exactly one succeeds, the rest are QuotaExceeded`, async () => {
    await create(h(), 'p1');
    const results = await Promise.all(Array.from({ length: RACERS }, () => h().catalog.createImage(queued('p1'), T1)));
    expect(results.filter((r) => r.isOk())).toHaveLength(1);
    for (const refused of results.filter((r) => r.isErr()))
      expect(refused.error).toMatchObject({ kind: 'QuotaExceeded', usage: COUNT_LIMIT });
    expect(await liveOwnedBy(h(), 'p1')).toHaveLength(COUNT_LIMIT);
  });
}

function sizeRace(h: () => StorageHarness): void {
  it(`${RACERS} concurrent uploads to a project's images, each fitting but no two together: exactly one is recorded`, async () => {
    await createWithData(h(), 'p1', 40);
    const images: Image[] = [];
    for (let i = 0; i < RACERS; i += 1) images.push(await create(h(), 'p1'));
    const results = await Promise.all(images.map((image) => h().catalog.attachImageData(image.id, data(35), T2)));
    expect(results.filter((r) => r.isOk())).toHaveLength(1);
    for (const refused of results.filter((r) => r.isErr()))
      expect(refused.error).toEqual(exceeded('image_size_total', 'p1', SIZE_LIMIT, 75, 35));
    const sizes = (await liveOwnedBy(h(), 'p1')).map((i) => i.size ?? 0);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(75);
  });
}
