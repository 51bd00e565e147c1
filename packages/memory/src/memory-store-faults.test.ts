// Unit tests of the memory storage's fault injection and of the semantics it chose where the ports leave room.
import { storageFault, storageUnavailable, type DeleteImageRequest } from '@image-catalog/core';
import { deleteImageRequest, expectErr, expectOk, fixtureLocations, imageFixture, secondsAfter, TEST_EPOCH } from '@image-catalog/testkit';
import { describe, expect, it } from 'vitest';
import { createMemoryStorage, type MemoryStorage } from './memory-storage.js';
import { MEMORY_STORE_STEPS } from './memory-store-faults.js';

const T1 = secondsAfter(TEST_EPOCH, 10);
const T2 = secondsAfter(TEST_EPOCH, 20);

async function storageWithImage(locations = 2) {
  const storage = createMemoryStorage();
  const id = globalThis.crypto.randomUUID();
  const image = await expectOk(storage.catalog.createImage(imageFixture({ id, locations: fixtureLocations(id, locations) }), TEST_EPOCH));
  return { storage, image };
}

/** Everything the storage holds about the image, plus every job and event. */
async function everything(storage: MemoryStorage, imageId: string) {
  return {
    image: await expectOk(storage.images.findById(imageId)),
    jobs: await expectOk(storage.jobs.listJobs({})),
    events: await expectOk(storage.outbox.listEvents({})),
  };
}

describe('MemoryStoreFaults', () => {
  it.each([...MEMORY_STORE_STEPS.deleteImage])(
    'a deleteImage fault at step %s answers the error and leaves the store unchanged',
    async (step) => {
      const { storage, image } = await storageWithImage();
      const before = await everything(storage, image.id);
      storage.faults.inject({ method: 'deleteImage', step, error: storageFault() });
      expect((await expectErr(storage.images.deleteImage(deleteImageRequest(image, T1)))).kind).toBe('StorageFault');
      expect(await everything(storage, image.id)).toEqual({ image, jobs: [], events: [] });
      expect(before).toEqual({ image, jobs: [], events: [] });
      expect((await expectOk(storage.images.deleteImage(deleteImageRequest(image, T1)))).kind).toBe('Deleted');
    },
  );

  it.each([...MEMORY_STORE_STEPS.restoreImage])('a restoreImage fault at step %s leaves the image pending_delete', async (step) => {
    const { storage, image } = await storageWithImage();
    await expectOk(storage.images.deleteImage(deleteImageRequest(image, T1, { delayed: true })));
    const before = await everything(storage, image.id);
    storage.faults.inject({ method: 'restoreImage', step, error: storageUnavailable() });
    expect((await expectErr(storage.images.restoreImage(image.id, T2))).kind).toBe('StorageUnavailable');
    expect(await everything(storage, image.id)).toEqual(before);
  });

  it.each([...MEMORY_STORE_STEPS.complete])('a complete fault at step %s leaves the job, location and image as they were', async (step) => {
    const { storage, image } = await storageWithImage(1);
    const outcome = await expectOk(storage.images.deleteImage(deleteImageRequest(image, T1, { delayed: true })));
    if (outcome.kind !== 'Deleted') expect.fail(outcome.kind);
    const before = await everything(storage, image.id);
    storage.faults.inject({ method: 'complete', step, error: storageFault() });
    await expectErr(storage.jobs.complete(outcome.jobs[0]!.id, T2));
    expect(await everything(storage, image.id)).toEqual(before);
  });

  it('fires for the given number of calls, counting them, then lets calls through', async () => {
    const { storage, image } = await storageWithImage();
    const fault = storage.faults.inject({ method: 'findById', error: storageUnavailable(undefined, 3), times: 2 });
    expect(await expectErr(storage.images.findById(image.id))).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 3 });
    expect(fault).toMatchObject({ fired: 1, remaining: 1 });
    await expectErr(storage.images.findById(image.id));
    expect(fault).toMatchObject({ fired: 2, remaining: 0 });
    expect(await expectOk(storage.images.findById(image.id))).toEqual(image);
    expect(storage.faults.armed).toBe(0);
  });

  it('only fails the method it names; "*" fails every method', async () => {
    const { storage, image } = await storageWithImage();
    storage.faults.inject({ method: 'deleteImage', error: storageFault() });
    expect(await expectOk(storage.images.findById(image.id))).toEqual(image);
    storage.faults.clear();

    storage.faults.inject({ method: '*', error: storageUnavailable(), times: Infinity });
    await expectErr(storage.images.findById(image.id));
    await expectErr(storage.jobs.counts());
    await expectErr(storage.outbox.claimPending({ now: T1, limit: 1, leaseSeconds: 1 }));
    storage.faults.clear();
    expect(await expectOk(storage.jobs.counts())).toEqual({ queued: 0, done: 0, dead: 0, cancelled: 0 });
  });

  it('remove() disarms a fault early', async () => {
    const { storage, image } = await storageWithImage();
    const fault = storage.faults.inject({ method: 'findById', error: storageFault(), times: Infinity });
    await expectErr(storage.images.findById(image.id));
    fault.remove();
    expect(fault.remaining).toBe(0);
    await expectOk(storage.images.findById(image.id));
  });

  it('hands each failure its own copy of the error', async () => {
    const { storage, image } = await storageWithImage();
    const error = storageFault(new Error('disk'));
    storage.faults.inject({ method: 'findById', error, times: 2 });
    const first = await expectErr(storage.images.findById(image.id));
    const second = await expectErr(storage.images.findById(image.id));
    expect(first).toEqual(error);
    expect(first).not.toBe(second);
  });

  it('refuses a step the method does not have, and a non-positive count', () => {
    const storage = createMemoryStorage();
    const wrongStep = { method: 'findById', step: 'outbox', error: storageFault() } as unknown as Parameters<
      typeof storage.faults.inject
    >[0];
    expect(() => storage.faults.inject(wrongStep)).toThrow(RangeError);
    expect(() => storage.faults.inject({ method: 'findById', error: storageFault(), times: 0 })).toThrow(RangeError);
    expect(storage.faults.armed).toBe(0);
  });

  it('lets the first armed matching fault fire first', async () => {
    const { storage, image } = await storageWithImage();
    storage.faults.inject({ method: 'findById', error: storageUnavailable() });
    storage.faults.inject({ method: 'findById', error: storageFault() });
    expect((await expectErr(storage.images.findById(image.id))).kind).toBe('StorageUnavailable');
    expect((await expectErr(storage.images.findById(image.id))).kind).toBe('StorageFault');
  });
});

describe('memory storage specifics', () => {
  it('hands decide a copy: a decide that changes what it is given changes nothing stored', async () => {
    const storage = createMemoryStorage();
    const image = await expectOk(storage.catalog.createImage(imageFixture({ tags: ['kept'] }), TEST_EPOCH));
    const request: DeleteImageRequest = deleteImageRequest(image, T1, {
      decide: (seen) => {
        (seen?.tags as string[] | undefined)?.push('changed');
        return { kind: 'Forbidden' };
      },
    });
    expect(await expectOk(storage.images.deleteImage(request))).toEqual({ kind: 'Forbidden' });
    expect((await expectOk(storage.images.findById(image.id)))?.tags).toEqual(['kept']);
  });

  it('uses the injected id source for locations; job ids come from the plan', async () => {
    let n = 0;
    const storage = createMemoryStorage({ newId: () => `id-${++n}` });
    const image = await expectOk(storage.catalog.createImage(imageFixture({ locations: [] }), TEST_EPOCH));
    const attached = await expectOk(
      storage.catalog.attachImageData(
        image.id,
        { url: 'memory://x/y', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h' },
        T1,
      ),
    );
    expect(attached?.locations.map((l) => l.id)).toEqual(['id-1']);
    const outcome = await expectOk(storage.images.deleteImage(deleteImageRequest(image, T2)));
    if (outcome.kind !== 'Deleted') expect.fail(`expected Deleted, got ${outcome.kind}`);
    expect(outcome.jobs.map((j) => j.locationId)).toEqual(['id-1']);
    expect((await expectOk(storage.jobs.listJobs({ imageId: image.id }))).map((j) => j.id)).toEqual(outcome.jobs.map((j) => j.id));
  });

  it('orders due jobs by createdAt, then commit order, whatever order the deletes committed in', async () => {
    const storage = createMemoryStorage();
    const later = await expectOk(storage.catalog.createImage(imageFixture(), TEST_EPOCH));
    const earlier = await expectOk(storage.catalog.createImage(imageFixture(), TEST_EPOCH));
    await expectOk(storage.images.deleteImage(deleteImageRequest(later, T2, { jobsDueAt: T2 })));
    await expectOk(storage.images.deleteImage(deleteImageRequest(earlier, T1, { jobsDueAt: T1 })));
    const claimed = await expectOk(storage.jobs.claimDue({ now: T2, limit: 10, leaseSeconds: 30 }));
    expect(claimed.map((j) => j.imageId)).toEqual([earlier.id, later.id]);
  });
});
