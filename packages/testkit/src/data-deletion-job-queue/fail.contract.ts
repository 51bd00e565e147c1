// The queue contract's fail part: retries at retryAt, dead letters, requeueDead, and cancelled jobs that stay cancelled.
import { describe, expect, it } from 'vitest';
import { T1, T2, T3 } from '../contract-times.js';
import { expectOk } from '../expect-result.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import { findImage } from '../harness-helpers.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeDataDeletionJobQueueParts, ids, job, seedDeleted, type JobQueuePart } from './job-queue-suite.js';

/** `fail and dead letters`: retries, dead letters, and never a job a restore cancelled. */
export const failPart: JobQueuePart = ({ h, claim }) => {
  describe('fail and dead letters', () => {
    it('a dead job keeps a pending_delete image pending until it is requeued and completed', async () => {
      const outcome = await seedDeleted(h(), 2, T1, { delayed: true });
      const [first, second] = outcome.jobs;
      await expectOk(h().jobs.fail(first!.id, { now: T2, error: 'store refused', retryAt: null }));
      await expectOk(h().jobs.complete(second!.id, T2));
      expect((await findImage(h(), outcome.image.id)).status).toBe('pending_delete');

      expect(await expectOk(h().jobs.requeueDead(T3))).toBe(1);
      expect(ids(await claim(T3))).toEqual([first!.id]);
      await expectOk(h().jobs.complete(first!.id, T3));
      expect((await findImage(h(), outcome.image.id)).status).toBe('deleted');
    });

    it('fail records the attempt and makes the job due again at retryAt', async () => {
      const outcome = await seedDeleted(h(), 1, T1);
      const jobId = outcome.jobs[0]!.id;
      const retryAt = secondsAfter(T2, 120);
      await claim(T2);
      await expectOk(h().jobs.fail(jobId, { now: T2, error: 'DataStoreUnavailable: timeout', retryAt }));
      expect(await job(h(), jobId)).toMatchObject({
        state: 'queued',
        attempts: 1,
        lastError: 'DataStoreUnavailable: timeout',
        availableAt: retryAt,
      });
      expect(await claim(secondsAfter(retryAt, -1))).toEqual([]);
      const again = await claim(retryAt);
      expect(again).toHaveLength(1);
      expect(again[0]).toMatchObject({ id: jobId, attempts: 1 });

      await expectOk(h().jobs.fail(jobId, { now: retryAt, error: 'again', retryAt: secondsAfter(retryAt, 60) }));
      expect(await job(h(), jobId)).toMatchObject({ attempts: 2, lastError: 'again' });
    });

    it('fail with retryAt null dead-letters the job: never claimed, counted dead', async () => {
      const outcome = await seedDeleted(h(), 1, T1);
      const jobId = outcome.jobs[0]!.id;
      await expectOk(h().jobs.fail(jobId, { now: T2, error: 'DataStoreRejected: not mine', retryAt: null }));
      expect(await job(h(), jobId)).toMatchObject({ state: 'dead', attempts: 1, lastError: 'DataStoreRejected: not mine' });
      expect(await claim(secondsAfter(T3, 86_400))).toEqual([]);
      expect(await expectOk(h().jobs.counts())).toEqual({ queued: 0, done: 0, dead: 1, cancelled: 0 });
    });

    it('fail and complete leave jobs that are not queued alone', async () => {
      const outcome = await seedDeleted(h(), 2, T1);
      const [done, dead] = outcome.jobs;
      await expectOk(h().jobs.complete(done!.id, T2));
      await expectOk(h().jobs.fail(dead!.id, { now: T2, error: 'gone wrong', retryAt: null }));
      const before = await expectOk(h().jobs.listJobs({}));
      await expectOk(h().jobs.fail(done!.id, { now: T3, error: 'late', retryAt: T3 }));
      await expectOk(h().jobs.fail(dead!.id, { now: T3, error: 'late', retryAt: T3 }));
      await expectOk(h().jobs.complete(dead!.id, T3));
      await expectOk(h().jobs.fail(globalThis.crypto.randomUUID(), { now: T3, error: 'unknown', retryAt: null }));
      expect(await expectOk(h().jobs.listJobs({}))).toEqual(before);
    });

    it('requeueDead puts dead jobs back due now with attempts reset: these ids, or all; an empty list requeues none', async () => {
      const outcome = await seedDeleted(h(), 3, T1);
      for (const j of outcome.jobs) await expectOk(h().jobs.fail(j.id, { now: T2, error: 'refused', retryAt: null }));
      const [a, b, c] = outcome.jobs;

      expect(await expectOk(h().jobs.requeueDead(T3, []))).toBe(0);
      expect(await expectOk(h().jobs.requeueDead(T3, [a!.id, globalThis.crypto.randomUUID()]))).toBe(1);
      expect(await job(h(), a!.id)).toMatchObject({ state: 'queued', attempts: 0, availableAt: T3 });
      expect((await job(h(), b!.id)).state).toBe('dead');
      expect(await expectOk(h().jobs.requeueDead(T3, [a!.id]))).toBe(0);

      expect(await expectOk(h().jobs.requeueDead(T3))).toBe(2);
      expect(await expectOk(h().jobs.requeueDead(T3))).toBe(0);
      expect(ids(await claim(T3)).sort()).toEqual([a!.id, b!.id, c!.id].sort());
    });

    it('requeueDead never brings back a job a restore cancelled, not even by id', async () => {
      const outcome = await seedDeleted(h(), 2, T1, { delayed: true, jobsDueAt: secondsAfter(T1, 3600) });
      // Dead-lettered without ever being claimed (e.g. by an operator tool), so the image is still restorable.
      await expectOk(h().jobs.fail(outcome.jobs[0]!.id, { now: T2, error: 'refused', retryAt: null }));
      expect((await expectOk(h().images.restoreImage(outcome.image.id, T2))).kind).toBe('Restored');
      const cancelled = await expectOk(h().jobs.listJobs({ imageId: outcome.image.id }));
      expect(cancelled.map((j) => j.state)).toEqual(['cancelled', 'cancelled']);

      expect(await expectOk(h().jobs.requeueDead(T3, ids(outcome.jobs)))).toBe(0);
      expect(await expectOk(h().jobs.requeueDead(T3))).toBe(0);
      expect(await expectOk(h().jobs.listJobs({ imageId: outcome.image.id }))).toEqual(cancelled);
      expect(await claim(secondsAfter(T3, 86_400))).toEqual([]);
      expect((await findImage(h(), outcome.image.id)).status).toBe('active');
    });
  });
};

/** Runs only the fail part of the DataDeletionJobQueue contract. */
export function describeDataDeletionJobQueueFail(name: string, factory: StorageHarnessFactory): void {
  describeDataDeletionJobQueueParts(name, factory, [failPart]);
}
