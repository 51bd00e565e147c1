// The contract of DataDeletionJobQueue every storage adapter must pass: claim, lease, complete, fail, dead letters.
import { storageFault, type DataDeletionJob } from '@image-catalog/core';
import type { DeleteRequestOptions } from './fixtures/delete-image-request.js';
import { describe, expect, it } from 'vitest';
import { describeNextDueContract } from './data-deletion-job-queue.next-due.contract.js';
import { expectErr, expectOk } from './expect-result.js';
import { fixtureLocations } from './fixtures/image-fixture.js';
import { createFixtureImage, deleteThroughRepository, findImage, type DeletedOutcome } from './harness-helpers.js';
import { secondsAfter, TEST_EPOCH } from './fixtures/test-clock.js';
import type { StorageHarness, StorageHarnessFactory } from './storage-harness.js';
import { useHarness } from './use-harness.js';

const T0 = TEST_EPOCH;
const T1 = secondsAfter(T0, 10);
const T2 = secondsAfter(T0, 20);
const T3 = secondsAfter(T0, 30);
const LEASE = 30;

/** Creates an image with `locations` data locations and deletes it, so the queue holds its jobs. */
async function seedDeleted(h: StorageHarness, locations: number, deletedAt: Date, request: DeleteRequestOptions = {}): Promise<DeletedOutcome> {
  const id = globalThis.crypto.randomUUID();
  const image = await createFixtureImage(h, { id, locations: fixtureLocations(id, locations) });
  return deleteThroughRepository(h, image, deletedAt, { jobsDueAt: deletedAt, ...request });
}

async function job(h: StorageHarness, jobId: string): Promise<DataDeletionJob> {
  const found = (await expectOk(h.jobs.listJobs({}))).find((j) => j.id === jobId);
  if (found === undefined) expect.fail(`job ${jobId} not found`);
  return found;
}

const ids = (jobs: readonly DataDeletionJob[]) => jobs.map((j) => j.id);

/**
 * Registers the DataDeletionJobQueue contract for an adapter. Jobs only come into being through
 * `deleteImage`, so the harness's repository creates them.
 */
export function describeDataDeletionJobQueueContract(name: string, factory: StorageHarnessFactory): void {
  describe(`${name}: DataDeletionJobQueue contract`, () => {
    const h = useHarness(factory);
    const claim = (now: Date, limit = 10) => expectOk(h().jobs.claimDue({ now, limit, leaseSeconds: LEASE }));
    describeNextDueContract(h);

    it('claimDue hands out queued jobs once due (availableAt <= now), in location order, leased for leaseSeconds', async () => {
      const due = secondsAfter(T1, 60);
      const outcome = await seedDeleted(h(), 2, T1, { jobsDueAt: due });
      expect(await claim(secondsAfter(due, -1))).toEqual([]);

      const claimed = await claim(due);
      expect(ids(claimed)).toEqual(ids(outcome.jobs));
      for (const [index, j] of claimed.entries()) {
        expect(j).toMatchObject({ state: 'queued', attempts: 0, url: outcome.jobs[index]!.url, availableAt: secondsAfter(due, LEASE) });
      }
      expect(await claim(due)).toEqual([]);
      expect(await claim(secondsAfter(due, LEASE - 1))).toEqual([]);
      expect(ids(await claim(secondsAfter(due, LEASE)))).toEqual(ids(outcome.jobs));
    });

    it('claimDue honours limit and hands out the oldest jobs first', async () => {
      const first = await seedDeleted(h(), 2, T1);
      const second = await seedDeleted(h(), 1, T2);
      expect(await claim(T3, 0)).toEqual([]);
      expect(ids(await claim(T3, 2))).toEqual(ids(first.jobs));
      expect(ids(await claim(T3, 2))).toEqual(ids(second.jobs));
      expect(await claim(T3, 2)).toEqual([]);
    });

    it('concurrent claims never hand one job out twice within its lease', async () => {
      const outcome = await seedDeleted(h(), 5, T1);
      const batches = await Promise.all(Array.from({ length: 10 }, () => claim(T2, 1)));
      const claimed = batches.flatMap(ids);
      expect(claimed).toHaveLength(5);
      expect([...claimed].sort()).toEqual(ids(outcome.jobs).sort());
    });

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
      expect(await job(h(), jobId)).toMatchObject({ state: 'queued', attempts: 1, lastError: 'DataStoreUnavailable: timeout', availableAt: retryAt });
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

    it('a job claimed for an image is not handed out again after a refused restore, until its lease ends', async () => {
      const outcome = await seedDeleted(h(), 1, T1, { delayed: true });
      expect(ids(await claim(T2))).toEqual(ids(outcome.jobs));
      expect((await expectOk(h().images.restoreImage(outcome.image.id, T2))).kind).toBe('DataAlreadyDeleted');
      expect(await claim(T2)).toEqual([]);
      expect(ids(await claim(secondsAfter(T2, LEASE)))).toEqual(ids(outcome.jobs));
    });

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
}
