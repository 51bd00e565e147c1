// The repository contract's purge part: a deleted image's children are hidden through it everywhere, and purged later, never a live or pending one's.
import { storageFault, type Image } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { T0, T1, T2, T3 } from '../contract-times.js';
import { expectErr, expectOk } from '../expect-result.js';
import { deleteImageRequest } from '../fixtures/delete-image-request.js';
import { emptyImageFixture, fixtureLocations, imageFixture } from '../fixtures/image-fixture.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import { deleteThroughRepository, findImage, imageSnapshot, type DeletedOutcome } from '../harness-helpers.js';
import type { StorageHarness, StorageHarnessFactory } from '../storage-harness.js';
import { describeImageRepositoryParts, type ImageRepositoryPart } from './image-repository-suite.js';

/**
 * `purgeDeletedChildren`: a delete writes no child row, yet a deleted image's properties, tags,
 * members and locations show through no port but its own `findById`; the purge removes them in
 * bounded batches once the image is finally deleted, and never touches any other image.
 */
export const purgePart: ImageRepositoryPart = (h) => {
  describe('children of deleted images', () => {
    hiddenThroughTheImage(h);
    purged(h);
    neverPurged(h);
  });
};

/** Runs only the purge part of the ImageRepository & ImageCatalog contract. */
export function describeImageRepositoryPurge(name: string, factory: StorageHarnessFactory): void {
  describeImageRepositoryParts(name, factory, [purgePart]);
}

/** Children shared by the twins below: the same names and values on two images. */
const CHILDREN = {
  tags: ['shared-tag', 'another'],
  properties: { os_distro: 'debian', shared_property: 'same value' },
  members: [{ memberId: 'member-project', status: 'accepted' as const }, { memberId: 'second-member' }],
};

/** An image with 2 tags, 2 properties, 2 members and `locations` locations: 6 + `locations` child rows. */
async function imageWithChildren(h: StorageHarness, locations = 2, name?: string): Promise<Image> {
  const id = globalThis.crypto.randomUUID();
  return expectOk(
    h.catalog.createImage(
      imageFixture({ id, ...CHILDREN, ...(name === undefined ? {} : { name }), locations: fixtureLocations(id, locations) }),
      T0,
    ),
  );
}

const childRows = (image: Image) =>
  image.tags.length + Object.keys(image.properties).length + image.members.length + image.locations.length;

/** Completes every job of a delete: the data is gone, the image is finally `deleted`. */
async function finishData(h: StorageHarness, outcome: DeletedOutcome, at: Date): Promise<void> {
  for (const job of outcome.jobs) await expectOk(h.jobs.complete(job.id, at));
}

function hiddenThroughTheImage(h: () => StorageHarness): void {
  it('a deleted image reads back with the children it had; listImages and a live twin with the same children see none of them', async () => {
    const gone = await imageWithChildren(h(), 2, 'twin');
    const outcome = await deleteThroughRepository(h(), gone, T1);
    expect(await findImage(h(), gone.id)).toEqual(outcome.image);
    expect(outcome.image).toMatchObject({ tags: gone.tags, properties: gone.properties, members: gone.members });
    expect(outcome.image.locations.map((l) => l.status)).toEqual(['pending_delete', 'pending_delete']);

    // A live image with the same name, tags, property names and values, and member projects.
    const twin = await imageWithChildren(h(), 1, 'twin');
    expect(await findImage(h(), twin.id)).toEqual(twin);
    expect(twin.members.map((m) => [m.memberId, m.status])).toEqual([
      ['member-project', 'accepted'],
      ['second-member', 'pending'],
    ]);
    expect(await expectOk(h().catalog.listImages({}))).toEqual([twin]);
    expect(await expectOk(h().catalog.listImages({ name: 'twin' }))).toEqual([twin]);

    // Members: the deleted image takes none; the twin's own listing is its own.
    expect(await expectOk(h().catalog.addMember(gone.id, 'late-member', T2))).toBeNull();
    expect(await expectOk(h().catalog.addMember(twin.id, 'member-project', T2))).toEqual(twin.members[0]);
    const third = await expectOk(h().catalog.addMember(twin.id, 'third-member', T2));
    expect((await findImage(h(), twin.id)).members).toEqual([...twin.members, third]);
    expect(await findImage(h(), gone.id)).toEqual(outcome.image);
  });

  it('a pending_delete image keeps its children through a restore, which has nothing to undo but the image row and the jobs', async () => {
    const image = await imageWithChildren(h());
    await deleteThroughRepository(h(), image, T1, { delayed: true, jobsDueAt: secondsAfter(T1, 3600) });
    expect(await expectOk(h().catalog.listImages({}))).toEqual([]);
    const restored = await expectOk(h().images.restoreImage(image.id, T2));
    expect(restored).toEqual({ kind: 'Restored', image: { ...image, updatedAt: T2 } });
    expect(await expectOk(h().catalog.listImages({}))).toEqual([{ ...image, updatedAt: T2 }]);
  });
}

function purged(h: () => StorageHarness): void {
  it('removes every child row of a finally deleted image, counted; the image, its jobs and its event stay', async () => {
    const image = await imageWithChildren(h());
    const outcome = await deleteThroughRepository(h(), image, T1);
    await finishData(h(), outcome, T2);
    const before = await imageSnapshot(h(), image.id);

    expect(await expectOk(h().jobs.purgeDeletedChildren({ olderThan: T1, limit: 100 }))).toBe(childRows(image));
    const after = await imageSnapshot(h(), image.id);
    expect(after).toEqual({ ...before, image: { ...before.image!, tags: [], properties: {}, members: [], locations: [] } });
    expect(await expectOk(h().jobs.purgeDeletedChildren({ olderThan: T3, limit: 100 }))).toBe(0);

    // Still deleted, its id still taken, never restorable.
    expect(await expectOk(h().images.restoreImage(image.id, T3))).toEqual({ kind: 'NotPendingDelete', status: 'deleted' });
    expect(await expectErr(h().catalog.createImage(imageFixture({ id: image.id }), T3))).toEqual({ kind: 'Conflict' });
    expect(await expectOk(h().images.deleteImage(deleteImageRequest(image, T3)))).toEqual({ kind: 'NotFound' });
  });

  it('purges an image deleted without data (no jobs), and one whose delayed delete finished', async () => {
    const bare = await expectOk(h().catalog.createImage(emptyImageFixture(CHILDREN), T0));
    await deleteThroughRepository(h(), bare, T1);
    const delayed = await imageWithChildren(h(), 1);
    const outcome = await deleteThroughRepository(h(), delayed, T1, { delayed: true, jobsDueAt: T1 });
    expect(await expectOk(h().jobs.purgeDeletedChildren({ olderThan: T3, limit: 100 }))).toBe(childRows(bare));

    await finishData(h(), outcome, T2);
    expect(await findImage(h(), delayed.id)).toMatchObject({ status: 'deleted' });
    expect(await expectOk(h().jobs.purgeDeletedChildren({ olderThan: T3, limit: 100 }))).toBe(childRows(delayed));
    for (const id of [bare.id, delayed.id])
      expect(await findImage(h(), id)).toMatchObject({ tags: [], properties: {}, members: [], locations: [] });
  });

  it('removes at most `limit` rows per call; calls until one answers fewer purge everything', async () => {
    const images = [await imageWithChildren(h(), 1), await imageWithChildren(h(), 3), await imageWithChildren(h(), 2)];
    for (const [i, image] of images.entries()) await finishData(h(), await deleteThroughRepository(h(), image, secondsAfter(T1, i)), T2);
    const total = images.reduce((sum, image) => sum + childRows(image), 0);

    expect(await expectOk(h().jobs.purgeDeletedChildren({ olderThan: T3, limit: 0 }))).toBe(0);
    const answers: number[] = [];
    for (let call = 0; call < total; call++) {
      const removed = await expectOk(h().jobs.purgeDeletedChildren({ olderThan: T3, limit: 4 }));
      answers.push(removed);
      if (removed < 4) break;
    }
    expect(answers.every((n) => n <= 4)).toBe(true);
    expect(answers.slice(0, -1).every((n) => n === 4)).toBe(true);
    expect(answers.reduce((a, b) => a + b, 0)).toBe(total);
    for (const image of images) expect(childRows(await findImage(h(), image.id))).toBe(0);
  });

  it('a purge failing mid-transaction removes nothing', async ({ skip }) => {
    if (h().injectFault === undefined) skip('the harness has no injectFault hook');
    const image = await imageWithChildren(h());
    await finishData(h(), await deleteThroughRepository(h(), image, T1), T2);
    const before = await imageSnapshot(h(), image.id);
    await h().injectFault!({ method: 'purgeDeletedChildren', error: storageFault(), midTransaction: true });
    expect((await expectErr(h().jobs.purgeDeletedChildren({ olderThan: T3, limit: 100 }))).kind).toBe('StorageFault');
    expect(await imageSnapshot(h(), image.id)).toEqual(before);
    expect(await expectOk(h().jobs.purgeDeletedChildren({ olderThan: T3, limit: 100 }))).toBe(childRows(image));
  });
}

function neverPurged(h: () => StorageHarness): void {
  it('never touches a live image, a pending_delete one, a deleted one with a queued or dead job, or one deleted after olderThan', async () => {
    const live = await imageWithChildren(h());
    const pending = await imageWithChildren(h());
    await deleteThroughRepository(h(), pending, T1, { delayed: true, jobsDueAt: T1 });
    const queued = await imageWithChildren(h());
    await deleteThroughRepository(h(), queued, T1);
    const dead = await imageWithChildren(h());
    const deadOutcome = await deleteThroughRepository(h(), dead, T1);
    await expectOk(h().jobs.complete(deadOutcome.jobs[0]!.id, T2));
    await expectOk(h().jobs.fail(deadOutcome.jobs[1]!.id, { now: T2, error: 'refused', retryAt: null }));
    const recent = await imageWithChildren(h());
    await finishData(h(), await deleteThroughRepository(h(), recent, T3), T3);

    const ids = [live.id, pending.id, queued.id, dead.id, recent.id];
    const before = await Promise.all(ids.map((id) => imageSnapshot(h(), id)));
    expect(await expectOk(h().jobs.purgeDeletedChildren({ olderThan: T2, limit: 1_000 }))).toBe(0);
    expect(await Promise.all(ids.map((id) => imageSnapshot(h(), id)))).toEqual(before);

    // The pending_delete image comes back whole; the dead job's image waits for its data.
    expect(await expectOk(h().images.restoreImage(pending.id, T3))).toEqual({ kind: 'Restored', image: { ...pending, updatedAt: T3 } });
    expect(await expectOk(h().jobs.requeueDead(T3))).toBe(1);
    await expectOk(h().jobs.complete(deadOutcome.jobs[1]!.id, T3));
    expect(await expectOk(h().jobs.purgeDeletedChildren({ olderThan: T2, limit: 1_000 }))).toBe(childRows(dead));
    expect(childRows(await findImage(h(), live.id))).toBe(childRows(live));
    expect(childRows(await findImage(h(), queued.id))).toBe(childRows(queued));
  });
}
