// RestoreImage over core's in-test storage: delayed delete, restore, and the scrubber racing it.
import { randomUUID } from 'node:crypto';
import { okAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { DataDeletionWorker } from '../data-deletion/data-deletion-worker.js';
import { DeleteImage } from '../delete-image/delete-image.use-case.js';
import { opaqueImageIdFormat } from '../image/image-id.js';
import type { ImageRepository } from '../ports/image-repository.port.js';
import { storageFault, storageUnavailable } from '../ports/storage-error.js';
import { defaultDeletePolicy } from '../policy/default-delete-policy.js';
import { Scrubber } from '../scrubber/scrubber.js';
import { adminPrincipal, projectMember } from '../test-support/principals.js';
import { TestClock } from '../test-support/test-clock.js';
import { TestDataStore } from '../test-support/test-data-store.js';
import { createTestStorage } from '../test-support/test-storage.js';
import { RESTORE_IMAGE_FAILURE_KINDS } from './restore-image.failures.js';
import { RestoreImage } from './restore-image.use-case.js';

const DELAY_SECONDS = 3600;
const admin = adminPrincipal();
const owner = projectMember('p1');

/** Delayed-delete mode over core's in-test storage. */
function setup() {
  const clock = new TestClock();
  const storage = createTestStorage();
  const data = new TestDataStore();
  const worker = new DataDeletionWorker(data, storage.jobs, clock, undefined, { backoff: { random: () => 0 } });
  const deleteImage = new DeleteImage(storage.images, defaultDeletePolicy, clock, worker, undefined, {
    delayedDelete: { delaySeconds: DELAY_SECONDS },
  });
  const immediateDelete = new DeleteImage(storage.images, defaultDeletePolicy, clock, worker);
  const scrubber = new Scrubber(storage.jobs, worker, clock);
  const restore = new RestoreImage(storage.images, clock);

  function imageWithData(locations = 1) {
    const id = randomUUID();
    const urls = Array.from({ length: locations }, () => data.newUrl(id));
    for (const url of urls) data.put(url);
    storage.seed(
      { id, owner: 'p1', status: 'active', tags: ['t'], properties: { os_distro: 'ubuntu' }, locations: urls.map((url) => ({ url })) },
      clock.now(),
    );
    return { id, urls };
  }
  return { clock, storage, data, deleteImage, immediateDelete, scrubber, restore, imageWithData };
}

describe('RestoreImage', () => {
  it('brings a pending_delete image back before the delay; its jobs are cancelled and the scrubber then deletes nothing', async () => {
    const h = setup();
    const { id, urls } = h.imageWithData(2);
    (await h.deleteImage.execute({ imageId: id, principal: owner }))._unsafeUnwrap();
    h.clock.advanceSeconds(100);

    const restored = (await h.restore.execute({ imageId: id, principal: admin }))._unsafeUnwrap();
    expect(restored).toMatchObject({ imageId: id, status: 'active', restoredAt: h.clock.now() });
    const image = (await h.storage.images.findById(id))._unsafeUnwrap()!;
    expect(image).toMatchObject({ status: 'active', deleted: false, deletedAt: null, tags: ['t'], properties: { os_distro: 'ubuntu' } });
    expect(image.locations.map((l) => l.status)).toEqual(['active', 'active']);
    expect((await h.storage.jobs.listJobs({ imageId: id }))._unsafeUnwrap().map((j) => j.state)).toEqual(['cancelled', 'cancelled']);

    h.clock.advanceSeconds(DELAY_SECONDS);
    expect((await h.scrubber.runOnce())._unsafeUnwrap().claimed).toBe(0);
    expect(urls.every((url) => h.data.has(url))).toBe(true);

    // Live again: the owner can delete it (and it can be restored again).
    expect((await h.deleteImage.execute({ imageId: id, principal: owner }))._unsafeUnwrap().status).toBe('pending_delete');
    expect((await h.restore.execute({ imageId: id, principal: admin })).isOk()).toBe(true);
  });

  it('normalises the id like a delete does', async () => {
    const h = setup();
    const { id } = h.imageWithData();
    await h.deleteImage.execute({ imageId: id, principal: owner });
    expect((await h.restore.execute({ imageId: id.toUpperCase(), principal: admin }))._unsafeUnwrap().imageId).toBe(id);
  });

  it('refuses a malformed id before anything else', async () => {
    const h = setup();
    for (const raw of ['', 'not-a-uuid', '../etc/passwd', 'a'.repeat(300), 42 as unknown as string]) {
      const failure = (await h.restore.execute({ imageId: raw, principal: owner }))._unsafeUnwrapErr();
      expect(failure.kind).toBe('InvalidImageId');
      expect(failure.message).not.toContain('passwd');
    }
  });

  it('is for administrators only, and says so without looking the image up', async () => {
    const h = setup();
    const { id } = h.imageWithData();
    await h.deleteImage.execute({ imageId: id, principal: owner });
    expect((await h.restore.execute({ imageId: id, principal: owner }))._unsafeUnwrapErr()).toMatchObject({
      kind: 'RestoreForbidden',
      message: 'You are not authorized to complete restore_image action.',
    });
    expect((await h.restore.execute({ imageId: randomUUID(), principal: owner }))._unsafeUnwrapErr().kind).toBe('RestoreForbidden');
    expect((await h.storage.images.findById(id))._unsafeUnwrap()!.status).toBe('pending_delete');
  });

  it('answers ImageNotFound for an unknown image and for one already finally deleted', async () => {
    const h = setup();
    expect((await h.restore.execute({ imageId: randomUUID(), principal: admin }))._unsafeUnwrapErr().kind).toBe('ImageNotFound');

    const { id } = h.imageWithData();
    (await h.immediateDelete.execute({ imageId: id, principal: owner }))._unsafeUnwrap();
    expect((await h.restore.execute({ imageId: id, principal: admin }))._unsafeUnwrapErr()).toMatchObject({
      kind: 'ImageNotFound',
      imageId: id,
    });

    // Delayed delete that the scrubber has finished: gone for good.
    const late = h.imageWithData();
    await h.deleteImage.execute({ imageId: late.id, principal: owner });
    h.clock.advanceSeconds(DELAY_SECONDS);
    await h.scrubber.runOnce();
    expect((await h.storage.images.findById(late.id))._unsafeUnwrap()!.status).toBe('deleted');
    expect((await h.restore.execute({ imageId: late.id, principal: admin }))._unsafeUnwrapErr().kind).toBe('ImageNotFound');
  });

  it('answers ImageNotPendingDelete for a live image, with its status', async () => {
    const h = setup();
    const { id } = h.imageWithData();
    expect((await h.restore.execute({ imageId: id, principal: admin }))._unsafeUnwrapErr()).toMatchObject({
      kind: 'ImageNotPendingDelete',
      imageId: id,
      status: 'active',
    });
  });

  it('answers DataAlreadyDeleted once some of its data is gone', async () => {
    const h = setup();
    const { id, urls } = h.imageWithData(2);
    await h.deleteImage.execute({ imageId: id, principal: owner });
    h.clock.advanceSeconds(DELAY_SECONDS);
    h.data.failNext(1, 'DataStoreUnavailable');
    expect((await h.scrubber.runOnce())._unsafeUnwrap()).toMatchObject({ done: 1, retried: 1 });
    expect(urls.filter((url) => h.data.has(url))).toHaveLength(1);

    expect((await h.restore.execute({ imageId: id, principal: admin }))._unsafeUnwrapErr()).toMatchObject({
      kind: 'DataAlreadyDeleted',
      imageId: id,
    });
    expect((await h.storage.images.findById(id))._unsafeUnwrap()!.status).toBe('pending_delete');
  });

  it('answers DataAlreadyDeleted while a scrubber is deleting the data, though its jobs are still queued', async () => {
    const h = setup();
    const { id, urls } = h.imageWithData(2);
    await h.deleteImage.execute({ imageId: id, principal: owner });
    h.clock.advanceSeconds(DELAY_SECONDS);
    const hang = h.data.hang();
    const run = h.scrubber.runOnce();
    await hang.reached();
    // The scrubber has claimed the jobs and is inside the data store's delete: nothing is done yet.
    expect((await h.storage.jobs.listJobs({ imageId: id }))._unsafeUnwrap().map((j) => j.state)).toEqual(['queued', 'queued']);

    expect((await h.restore.execute({ imageId: id, principal: admin }))._unsafeUnwrapErr()).toMatchObject({
      kind: 'DataAlreadyDeleted',
      imageId: id,
      message: `Image ${id} cannot be restored: some of its data is already gone or being deleted.`,
    });
    expect((await h.storage.images.findById(id))._unsafeUnwrap()!.status).toBe('pending_delete');

    hang.release();
    expect((await run)._unsafeUnwrap()).toMatchObject({ claimed: 2, done: 2 });
    // Never a live image without its data: the delete went through.
    expect((await h.storage.images.findById(id))._unsafeUnwrap()!.status).toBe('deleted');
    expect(urls.some((url) => h.data.has(url))).toBe(false);
    expect((await h.restore.execute({ imageId: id, principal: admin }))._unsafeUnwrapErr().kind).toBe('ImageNotFound');
  });

  it('restores past the delay as long as no scrubber has claimed the jobs; the next scrubber run then deletes nothing', async () => {
    const h = setup();
    const { id, urls } = h.imageWithData(2);
    await h.deleteImage.execute({ imageId: id, principal: owner });
    h.clock.advanceSeconds(DELAY_SECONDS + 60);
    expect((await h.restore.execute({ imageId: id, principal: admin }))._unsafeUnwrap().status).toBe('active');
    expect((await h.scrubber.runOnce())._unsafeUnwrap().claimed).toBe(0);
    expect(urls.every((url) => h.data.has(url))).toBe(true);
  });

  it('passes storage errors through', async () => {
    const h = setup();
    const { id } = h.imageWithData();
    await h.deleteImage.execute({ imageId: id, principal: owner });
    h.storage.failNext('restoreImage', storageUnavailable());
    expect((await h.restore.execute({ imageId: id, principal: admin }))._unsafeUnwrapErr()).toMatchObject({
      kind: 'StorageUnavailable',
      retryAfterSeconds: 5,
    });
    h.storage.failNext('restoreImage', storageFault());
    expect((await h.restore.execute({ imageId: id, principal: admin }))._unsafeUnwrapErr().kind).toBe('StorageFault');
    // Still pending, still restorable (that a failure mid-transaction writes nothing is each adapter's contract, checked by the testkit).
    expect((await h.storage.images.findById(id))._unsafeUnwrap()!.status).toBe('pending_delete');
    expect((await h.restore.execute({ imageId: id, principal: admin })).isOk()).toBe(true);
  });

  it('never throws: a repository that throws becomes StorageFault', async () => {
    const throwing = {
      restoreImage() {
        throw new Error('defect');
      },
    } as unknown as ImageRepository;
    const restore = new RestoreImage(throwing, new TestClock());
    expect((await restore.execute({ imageId: randomUUID(), principal: admin }))._unsafeUnwrapErr().kind).toBe('StorageFault');
  });

  it('validates with a configured id format', async () => {
    const seen: string[] = [];
    const repository = {
      restoreImage(imageId: string) {
        seen.push(imageId);
        return okAsync({ kind: 'NotFound' as const });
      },
    } as unknown as ImageRepository;
    const restore = new RestoreImage(repository, new TestClock(), undefined, { idFormat: opaqueImageIdFormat() });
    expect((await restore.execute({ imageId: 'ubuntu-22.04', principal: admin }))._unsafeUnwrapErr().kind).toBe('ImageNotFound');
    expect((await restore.execute({ imageId: 'a/b', principal: admin }))._unsafeUnwrapErr().kind).toBe('InvalidImageId');
    expect(seen).toEqual(['ubuntu-22.04']);
  });

  it('lists every failure kind once', () => {
    expect(new Set(RESTORE_IMAGE_FAILURE_KINDS).size).toBe(RESTORE_IMAGE_FAILURE_KINDS.length);
  });
});
