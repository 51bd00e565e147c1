// The queue contract's complete part: a done job deletes its location, the last one finishes a pending_delete image, all or nothing.
import { storageFault } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { T1, T2, T3 } from '../contract-times.js';
import { expectErr, expectOk } from '../expect-result.js';
import { findImage } from '../harness-helpers.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeDataDeletionJobQueueParts, ids, job, seedDeleted, type JobQueuePart } from './job-queue-suite.js';

/** `complete`: a job done, its location deleted, the last one finishing a pending_delete image, atomically. */
export const completePart: JobQueuePart = ({ h, claim }) => {
  describe('complete', () => {
    it('complete marks the job done and its location deleted; completing again or an unknown job is a no-op', async () => {
      const outcome = await seedDeleted(h(), 2, T1);
      const [first, second] = outcome.jobs;
      await expectOk(h().jobs.complete(first!.id, T2));
      expect(await job(h(), first!.id)).toMatchObject({ state: 'done', attempts: 0 });
      const after = await findImage(h(), outcome.image.id);
      expect(after.locations.map((l) => l.status)).toEqual(['deleted', 'pending_delete']);
      expect(after).toMatchObject({ status: 'deleted', deletedAt: T1 });

      const jobsBefore = await expectOk(h().jobs.listJobs({}));
      await expectOk(h().jobs.complete(first!.id, T3));
      await expectOk(h().jobs.complete(globalThis.crypto.randomUUID(), T3));
      expect(await expectOk(h().jobs.listJobs({}))).toEqual(jobsBefore);
      expect(await findImage(h(), outcome.image.id)).toEqual(after);
      expect(ids(await claim(T3))).toEqual([second!.id]);
    });

    it('completing the last job of a pending_delete image makes the image deleted', async () => {
      const outcome = await seedDeleted(h(), 2, T1, { delayed: true });
      const [first, second] = outcome.jobs;
      await expectOk(h().jobs.complete(first!.id, T2));
      expect(await findImage(h(), outcome.image.id)).toMatchObject({ status: 'pending_delete', deleted: true });
      await expectOk(h().jobs.complete(second!.id, T3));
      const after = await findImage(h(), outcome.image.id);
      expect(after).toMatchObject({ status: 'deleted', deleted: true, deletedAt: T1 });
      expect(after.locations.map((l) => l.status)).toEqual(['deleted', 'deleted']);
    });

    it('a complete failing mid-transaction leaves the job queued and its location pending', async ({ skip }) => {
      if (h().injectFault === undefined) skip('the harness has no injectFault hook');
      const outcome = await seedDeleted(h(), 1, T1, { delayed: true });
      const jobId = outcome.jobs[0]!.id;
      const before = { jobs: await expectOk(h().jobs.listJobs({})), image: await findImage(h(), outcome.image.id) };
      await h().injectFault!({ method: 'complete', error: storageFault(), midTransaction: true });
      expect((await expectErr(h().jobs.complete(jobId, T2))).kind).toBe('StorageFault');
      expect({ jobs: await expectOk(h().jobs.listJobs({})), image: await findImage(h(), outcome.image.id) }).toEqual(before);
      await expectOk(h().jobs.complete(jobId, T2));
      expect((await findImage(h(), outcome.image.id)).status).toBe('deleted');
    });
  });
};

/** Runs only the complete part of the DataDeletionJobQueue contract. */
export function describeDataDeletionJobQueueComplete(name: string, factory: StorageHarnessFactory): void {
  describeDataDeletionJobQueueParts(name, factory, [completePart]);
}
