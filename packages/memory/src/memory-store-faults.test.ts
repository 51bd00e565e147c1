// Unit tests of the memory store's fault injection and of the semantics it chose where the ports leave room.
import { storageFault, storageUnavailable, type DeleteImageRequest } from '@image-catalog/core';
import { deleteImageRequest, expectErr, expectOk, fixtureLocations, imageFixture, secondsAfter, TEST_EPOCH } from '@image-catalog/testkit';
import { describe, expect, it } from 'vitest';
import { MemoryImageStore } from './memory-image-store.js';
import { MEMORY_STORE_STEPS } from './memory-store-faults.js';

const T1 = secondsAfter(TEST_EPOCH, 10);
const T2 = secondsAfter(TEST_EPOCH, 20);

async function storeWithImage(locations = 2) {
  const store = new MemoryImageStore();
  const id = globalThis.crypto.randomUUID();
  const image = await expectOk(store.createImage(imageFixture({ id, locations: fixtureLocations(id, locations) }), TEST_EPOCH));
  return { store, image };
}

/** Everything the store holds about the image, plus every job and event. */
async function everything(store: MemoryImageStore, imageId: string) {
  return {
    image: await expectOk(store.findById(imageId)),
    jobs: await expectOk(store.listJobs({})),
    events: await expectOk(store.listEvents({})),
  };
}

describe('MemoryStoreFaults', () => {
  it.each([...MEMORY_STORE_STEPS.deleteImage])('a deleteImage fault at step %s answers the error and leaves the store unchanged', async (step) => {
    const { store, image } = await storeWithImage();
    const before = await everything(store, image.id);
    store.faults.inject({ method: 'deleteImage', step, error: storageFault() });
    expect((await expectErr(store.deleteImage(deleteImageRequest(image, T1)))).kind).toBe('StorageFault');
    expect(await everything(store, image.id)).toEqual({ image, jobs: [], events: [] });
    expect(before).toEqual({ image, jobs: [], events: [] });
    expect((await expectOk(store.deleteImage(deleteImageRequest(image, T1)))).kind).toBe('Deleted');
  });

  it.each([...MEMORY_STORE_STEPS.restoreImage])('a restoreImage fault at step %s leaves the image pending_delete', async (step) => {
    const { store, image } = await storeWithImage();
    await expectOk(store.deleteImage(deleteImageRequest(image, T1, { delayed: true })));
    const before = await everything(store, image.id);
    store.faults.inject({ method: 'restoreImage', step, error: storageUnavailable() });
    expect((await expectErr(store.restoreImage(image.id, T2))).kind).toBe('StorageUnavailable');
    expect(await everything(store, image.id)).toEqual(before);
  });

  it.each([...MEMORY_STORE_STEPS.complete])('a complete fault at step %s leaves the job, location and image as they were', async (step) => {
    const { store, image } = await storeWithImage(1);
    const outcome = await expectOk(store.deleteImage(deleteImageRequest(image, T1, { delayed: true })));
    if (outcome.kind !== 'Deleted') expect.fail(outcome.kind);
    const before = await everything(store, image.id);
    store.faults.inject({ method: 'complete', step, error: storageFault() });
    await expectErr(store.complete(outcome.jobs[0]!.id, T2));
    expect(await everything(store, image.id)).toEqual(before);
  });

  it('fires for the given number of calls, counting them, then lets calls through', async () => {
    const { store, image } = await storeWithImage();
    const fault = store.faults.inject({ method: 'findById', error: storageUnavailable(undefined, 3), times: 2 });
    expect(await expectErr(store.findById(image.id))).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 3 });
    expect(fault).toMatchObject({ fired: 1, remaining: 1 });
    await expectErr(store.findById(image.id));
    expect(fault).toMatchObject({ fired: 2, remaining: 0 });
    expect(await expectOk(store.findById(image.id))).toEqual(image);
    expect(store.faults.armed).toBe(0);
  });

  it('only fails the method it names; "*" fails every method', async () => {
    const { store, image } = await storeWithImage();
    store.faults.inject({ method: 'deleteImage', error: storageFault() });
    expect(await expectOk(store.findById(image.id))).toEqual(image);
    store.faults.clear();

    store.faults.inject({ method: '*', error: storageUnavailable(), times: Infinity });
    await expectErr(store.findById(image.id));
    await expectErr(store.counts());
    await expectErr(store.claimPending({ now: T1, limit: 1, leaseSeconds: 1 }));
    store.faults.clear();
    expect(await expectOk(store.counts())).toEqual({ queued: 0, done: 0, dead: 0, cancelled: 0 });
  });

  it('remove() disarms a fault early', async () => {
    const { store, image } = await storeWithImage();
    const fault = store.faults.inject({ method: 'findById', error: storageFault(), times: Infinity });
    await expectErr(store.findById(image.id));
    fault.remove();
    expect(fault.remaining).toBe(0);
    await expectOk(store.findById(image.id));
  });

  it('hands each failure its own copy of the error', async () => {
    const { store, image } = await storeWithImage();
    const error = storageFault(new Error('disk'));
    store.faults.inject({ method: 'findById', error, times: 2 });
    const first = await expectErr(store.findById(image.id));
    const second = await expectErr(store.findById(image.id));
    expect(first).toEqual(error);
    expect(first).not.toBe(second);
  });

  it('refuses a step the method does not have, and a non-positive count', () => {
    const store = new MemoryImageStore();
    const wrongStep = { method: 'findById', step: 'outbox', error: storageFault() } as unknown as Parameters<typeof store.faults.inject>[0];
    expect(() => store.faults.inject(wrongStep)).toThrow(RangeError);
    expect(() => store.faults.inject({ method: 'findById', error: storageFault(), times: 0 })).toThrow(RangeError);
    expect(store.faults.armed).toBe(0);
  });

  it('lets the first armed matching fault fire first', async () => {
    const { store, image } = await storeWithImage();
    store.faults.inject({ method: 'findById', error: storageUnavailable() });
    store.faults.inject({ method: 'findById', error: storageFault() });
    expect((await expectErr(store.findById(image.id))).kind).toBe('StorageUnavailable');
    expect((await expectErr(store.findById(image.id))).kind).toBe('StorageFault');
  });
});

describe('MemoryImageStore specifics', () => {
  it('hands decide a copy: a decide that changes what it is given changes nothing stored', async () => {
    const store = new MemoryImageStore();
    const image = await expectOk(store.createImage(imageFixture({ tags: ['kept'] }), TEST_EPOCH));
    const request: DeleteImageRequest = deleteImageRequest(image, T1, {
      decide: (seen) => {
        (seen?.tags as string[] | undefined)?.push('changed');
        return { kind: 'Forbidden' };
      },
    });
    expect(await expectOk(store.deleteImage(request))).toEqual({ kind: 'Forbidden' });
    expect((await expectOk(store.findById(image.id)))?.tags).toEqual(['kept']);
  });

  it('uses the injected id source for locations; job ids come from the plan', async () => {
    let n = 0;
    const store = new MemoryImageStore({ newId: () => `id-${++n}` });
    const image = await expectOk(store.createImage(imageFixture({ locations: [] }), TEST_EPOCH));
    const attached = await expectOk(store.attachImageData(image.id, { url: 'memory://x/y', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h' }, T1));
    expect(attached?.locations.map((l) => l.id)).toEqual(['id-1']);
    const outcome = await expectOk(store.deleteImage(deleteImageRequest(image, T2)));
    if (outcome.kind !== 'Deleted') expect.fail(`expected Deleted, got ${outcome.kind}`);
    expect(outcome.jobs.map((j) => j.locationId)).toEqual(['id-1']);
    expect((await expectOk(store.listJobs({ imageId: image.id }))).map((j) => j.id)).toEqual(outcome.jobs.map((j) => j.id));
  });

  it('orders due jobs by createdAt, then commit order, whatever order the deletes committed in', async () => {
    const store = new MemoryImageStore();
    const later = await expectOk(store.createImage(imageFixture(), TEST_EPOCH));
    const earlier = await expectOk(store.createImage(imageFixture(), TEST_EPOCH));
    await expectOk(store.deleteImage(deleteImageRequest(later, T2, { jobsDueAt: T2 })));
    await expectOk(store.deleteImage(deleteImageRequest(earlier, T1, { jobsDueAt: T1 })));
    const claimed = await expectOk(store.claimDue({ now: T2, limit: 10, leaseSeconds: 30 }));
    expect(claimed.map((j) => j.imageId)).toEqual([earlier.id, later.id]);
  });
});
