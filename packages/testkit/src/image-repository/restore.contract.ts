// The repository contract's restore part: restoreImage's rules, and a restore against a scrubber claiming the same jobs.
import { storageFault, type Image } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { T1, T2 } from '../contract-times.js';
import { expectErr, expectOk } from '../expect-result.js';
import { fixtureLocations } from '../fixtures/image-fixture.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import { createFixtureImage, deleteThroughRepository, findImage, imageSnapshot } from '../harness-helpers.js';
import type { StorageHarness, StorageHarnessFactory } from '../storage-harness.js';
import { describeImageRepositoryParts, type ImageRepositoryPart } from './image-repository-suite.js';

/**
 * `restoreImage`: a pending_delete image comes back whole while none of its data is claimed or
 * gone; otherwise the restore is refused and changes nothing.
 */
export const restorePart: ImageRepositoryPart = (h) => {
  describe('restoreImage', () => {
    restoreRules(h);
    againstAScrubber(h);
  });
};

/** Runs only the restore part of the ImageRepository & ImageCatalog contract. */
export function describeImageRepositoryRestore(name: string, factory: StorageHarnessFactory): void {
  describeImageRepositoryParts(name, factory, [restorePart]);
}

function restoreRules(h: () => StorageHarness): void {
  it('answers NotFound for an unknown image', async () => {
    expect(await expectOk(h().images.restoreImage(globalThis.crypto.randomUUID(), T1))).toEqual({ kind: 'NotFound' });
  });

  it('answers NotPendingDelete for a live or a deleted image, changing nothing', async () => {
    const live = await createFixtureImage(h());
    expect(await expectOk(h().images.restoreImage(live.id, T1))).toEqual({ kind: 'NotPendingDelete', status: 'active' });
    expect(await findImage(h(), live.id)).toEqual(live);

    const gone = await createFixtureImage(h());
    await deleteThroughRepository(h(), gone, T1);
    const before = await imageSnapshot(h(), gone.id);
    expect(await expectOk(h().images.restoreImage(gone.id, T2))).toEqual({ kind: 'NotPendingDelete', status: 'deleted' });
    expect(await imageSnapshot(h(), gone.id)).toEqual(before);
  });

  it('brings a pending_delete image back: active, locations active, jobs cancelled, the event kept', async () => {
    const id = globalThis.crypto.randomUUID();
    const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
    const outcome = await deleteThroughRepository(h(), image, T1, { delayed: true, jobsDueAt: secondsAfter(T1, 3600) });

    const restored = await expectOk(h().images.restoreImage(id, T2));
    const expected: Image = { ...image, status: 'active', deleted: false, deletedAt: null, updatedAt: T2 };
    expect(restored).toEqual({ kind: 'Restored', image: expected });
    expect(await findImage(h(), id)).toEqual(expected);
    expect((await expectOk(h().jobs.listJobs({ imageId: id }))).map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
    expect(await expectOk(h().jobs.claimDue({ now: secondsAfter(T2, 86_400), limit: 10, leaseSeconds: 60 }))).toEqual([]);
    expect(await expectOk(h().outbox.listEvents({ imageId: id }))).toEqual([outcome.event]);

    expect((await expectOk(h().catalog.listImages({}))).map((i) => i.id)).toEqual([id]);
    expect(await expectOk(h().catalog.updateImage(id, { name: 'back' }, T2))).not.toBeNull();
    const again = await deleteThroughRepository(h(), { ...image, name: 'back' } as Image, secondsAfter(T2, 1));
    expect(again.jobs).toHaveLength(2);
    expect(await expectOk(h().outbox.listEvents({ imageId: id }))).toHaveLength(2);
  });

  it("cancels dead jobs too: their data was never removed, and a requeue must not delete a live image's data", async () => {
    const id = globalThis.crypto.randomUUID();
    const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
    const outcome = await deleteThroughRepository(h(), image, T1, { delayed: true, jobsDueAt: T1 });
    await expectOk(h().jobs.fail(outcome.jobs[0]!.id, { now: T2, error: 'refused', retryAt: null }));
    expect((await expectOk(h().images.restoreImage(id, T2))).kind).toBe('Restored');
    expect((await expectOk(h().jobs.listJobs({ imageId: id }))).map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
    expect(await expectOk(h().jobs.requeueDead(T2))).toBe(0);
  });

  it('answers DataAlreadyDeleted once some of the data is gone, changing nothing', async () => {
    const id = globalThis.crypto.randomUUID();
    const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
    const outcome = await deleteThroughRepository(h(), image, T1, { delayed: true, jobsDueAt: T1 });
    await expectOk(h().jobs.complete(outcome.jobs[0]!.id, T2));
    const before = await imageSnapshot(h(), id);
    expect(await expectOk(h().images.restoreImage(id, T2))).toEqual({ kind: 'DataAlreadyDeleted' });
    expect(await imageSnapshot(h(), id)).toEqual(before);
  });

  it('a restore failing mid-transaction leaves the image pending_delete with its jobs queued', async ({ skip }) => {
    if (h().injectFault === undefined) skip('the harness has no injectFault hook');
    const image = await createFixtureImage(h());
    await deleteThroughRepository(h(), image, T1, { delayed: true });
    const before = await imageSnapshot(h(), image.id);
    await h().injectFault!({ method: 'restoreImage', error: storageFault(), midTransaction: true });
    expect((await expectErr(h().images.restoreImage(image.id, T2))).kind).toBe('StorageFault');
    expect(await imageSnapshot(h(), image.id)).toEqual(before);
  });
}

function againstAScrubber(h: () => StorageHarness): void {
  describe('against a scrubber: claimed data is never restored, restored data is never claimed', () => {
    const LEASE = 60;
    const DUE = secondsAfter(T1, 3600);
    const claim = (now: Date) => expectOk(h().jobs.claimDue({ now, limit: 10, leaseSeconds: LEASE }));

    /** A delayed delete of an image with two locations; jobs due at `DUE`. */
    async function pendingDelete() {
      const id = globalThis.crypto.randomUUID();
      const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
      const outcome = await deleteThroughRepository(h(), image, T1, { delayed: true, jobsDueAt: DUE });
      return { id, image, outcome };
    }

    /** What happened to the claimed job before the restore, and when the restore is tried. */
    const afterClaim: [string, (jobId: string) => Promise<unknown>, Date][] = [
      ['still being deleted (claimed, queued, leased)', async () => undefined, secondsAfter(DUE, 1)],
      ['whose worker crashed (lease expired)', async () => undefined, secondsAfter(DUE, 10 * LEASE)],
      [
        'that failed and waits for a retry',
        (jobId) => expectOk(h().jobs.fail(jobId, { now: secondsAfter(DUE, 1), error: 'timeout', retryAt: secondsAfter(DUE, 600) })),
        secondsAfter(DUE, 2),
      ],
      [
        'that was dead-lettered',
        (jobId) => expectOk(h().jobs.fail(jobId, { now: secondsAfter(DUE, 1), error: 'refused', retryAt: null })),
        secondsAfter(DUE, 2),
      ],
    ];

    it.each(afterClaim)('answers DataAlreadyDeleted once one job was claimed, %s, changing nothing', async (_case, then, restoreAt) => {
      const { id, outcome } = await pendingDelete();
      // The scrubber claims one of the two jobs; it is still `queued`, nothing is done yet.
      const claimed = await expectOk(h().jobs.claimDue({ now: DUE, limit: 1, leaseSeconds: LEASE }));
      expect(claimed.map((j) => j.id)).toEqual([outcome.jobs[0]!.id]);
      expect(claimed[0]!.state).toBe('queued');
      await then(outcome.jobs[0]!.id);

      const before = await imageSnapshot(h(), id);
      expect(before.image).toMatchObject({ status: 'pending_delete', deleted: true, deletedAt: T1 });
      expect(await expectOk(h().images.restoreImage(id, restoreAt))).toEqual({ kind: 'DataAlreadyDeleted' });
      expect(await imageSnapshot(h(), id)).toEqual(before);
    });

    it('the scrubber that claimed the job then finishes the delete: the image ends deleted, never live', async () => {
      const { id, outcome } = await pendingDelete();
      const claimed = await claim(DUE);
      expect(claimed.map((j) => j.id)).toEqual(outcome.jobs.map((j) => j.id));
      expect(await expectOk(h().images.restoreImage(id, secondsAfter(DUE, 1)))).toEqual({ kind: 'DataAlreadyDeleted' });
      for (const j of claimed) await expectOk(h().jobs.complete(j.id, secondsAfter(DUE, 2)));
      expect(await findImage(h(), id)).toMatchObject({ status: 'deleted', deleted: true, deletedAt: T1 });
      expect(await expectOk(h().images.restoreImage(id, secondsAfter(DUE, 3)))).toEqual({ kind: 'NotPendingDelete', status: 'deleted' });
    });

    it('a restore committed before any claim wins: past due, claimDue hands out nothing of that image', async () => {
      const { id, image } = await pendingDelete();
      // Due but not claimed yet: the restore still wins.
      expect((await expectOk(h().images.restoreImage(id, secondsAfter(DUE, 1)))).kind).toBe('Restored');
      expect(await claim(secondsAfter(DUE, 2))).toEqual([]);
      expect(await claim(secondsAfter(DUE, 86_400))).toEqual([]);
      expect((await expectOk(h().jobs.listJobs({ imageId: id }))).map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
      expect(await findImage(h(), id)).toEqual({
        ...image,
        status: 'active',
        deleted: false,
        deletedAt: null,
        updatedAt: secondsAfter(DUE, 1),
      });
    });

    it.each(['claim first', 'restore first'] as const)('a claim racing a restore (%s): exactly one of them wins, whole', async (order) => {
      for (let round = 0; round < 5; round++) {
        const { id, image } = await pendingDelete();
        const at = secondsAfter(DUE, round + 1);
        const claimIt = () => claim(at);
        const restoreIt = () => expectOk(h().images.restoreImage(id, at));
        const [claimedAll, restored] =
          order === 'claim first'
            ? await Promise.all([claimIt(), restoreIt()])
            : await Promise.all([restoreIt(), claimIt()]).then(([r, c]) => [c, r] as const);
        const claimed = claimedAll.filter((j) => j.imageId === id);
        const jobs = await expectOk(h().jobs.listJobs({ imageId: id }));
        if (restored.kind === 'Restored') {
          expect(claimed).toEqual([]);
          expect(jobs.map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
          expect((await findImage(h(), id)).status).toBe(image.status);
        } else {
          expect(restored).toEqual({ kind: 'DataAlreadyDeleted' });
          expect(claimed.length).toBeGreaterThan(0);
          expect(jobs.map((j) => j.id)).toEqual(expect.arrayContaining(claimed.map((j) => j.id)));
          expect(jobs.map((j) => j.state)).toEqual(['queued', 'queued']);
          expect((await findImage(h(), id)).status).toBe('pending_delete');
          // Finish this image's jobs, so the next round's claim sees only its own image.
          for (const j of jobs) await expectOk(h().jobs.complete(j.id, at));
          expect((await findImage(h(), id)).status).toBe('deleted');
        }
      }
    });
  });
}
