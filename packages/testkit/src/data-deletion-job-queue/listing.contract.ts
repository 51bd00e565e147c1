// The queue contract's listing part: listJobs filters and orders, counts covers every state.
import { describe, expect, it } from 'vitest';
import { T1, T2, T3 } from '../contract-times.js';
import { expectOk } from '../expect-result.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeDataDeletionJobQueueParts, ids, seedDeleted, type JobQueuePart } from './job-queue-suite.js';

/** `listJobs and counts`: filters, order, limit, every state counted. */
export const listingPart: JobQueuePart = ({ h }) => {
  describe('listJobs and counts', () => {
    it('listJobs filters by image and state, lists oldest first and honours limit', async () => {
      const first = await seedDeleted(h(), 2, T1);
      const second = await seedDeleted(h(), 2, T2);
      await expectOk(h().jobs.complete(second.jobs[1]!.id, T3));

      expect(ids(await expectOk(h().jobs.listJobs({})))).toEqual([...ids(first.jobs), ...ids(second.jobs)]);
      expect(ids(await expectOk(h().jobs.listJobs({ imageId: second.image.id })))).toEqual(ids(second.jobs));
      expect(ids(await expectOk(h().jobs.listJobs({ state: 'done' })))).toEqual([second.jobs[1]!.id]);
      expect(ids(await expectOk(h().jobs.listJobs({ state: 'queued', limit: 2 })))).toEqual(ids(first.jobs));
      expect(await expectOk(h().jobs.listJobs({ imageId: first.image.id, state: 'dead' }))).toEqual([]);
    });

    it('counts every state, including jobs cancelled by a restore', async () => {
      const restored = await seedDeleted(h(), 2, T1, { delayed: true, jobsDueAt: secondsAfter(T1, 3600) });
      expect((await expectOk(h().images.restoreImage(restored.image.id, T2))).kind).toBe('Restored');
      const outcome = await seedDeleted(h(), 3, T1);
      const [done, dead] = outcome.jobs;
      await expectOk(h().jobs.complete(done!.id, T2));
      await expectOk(h().jobs.fail(dead!.id, { now: T2, error: 'refused', retryAt: null }));
      expect(await expectOk(h().jobs.counts())).toEqual({ queued: 1, done: 1, dead: 1, cancelled: 2 });
    });
  });
};

/** Runs only the listing part of the DataDeletionJobQueue contract. */
export function describeDataDeletionJobQueueListing(name: string, factory: StorageHarnessFactory): void {
  describeDataDeletionJobQueueParts(name, factory, [listingPart]);
}
