// The queue contract's claim part: claimDue hands out due jobs, oldest first, each once per lease.
import { describe, expect, it } from 'vitest';
import { T1, T2, T3 } from '../contract-times.js';
import { expectOk } from '../expect-result.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeDataDeletionJobQueueParts, ids, LEASE, seedDeleted, type JobQueuePart } from './job-queue-suite.js';

/** `claimDue`: due times, leases, limit and order, concurrent claims. */
export const claimPart: JobQueuePart = ({ h, claim }) => {
  describe('claimDue', () => {
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

    it('a job claimed for an image is not handed out again after a refused restore, until its lease ends', async () => {
      const outcome = await seedDeleted(h(), 1, T1, { delayed: true });
      expect(ids(await claim(T2))).toEqual(ids(outcome.jobs));
      expect((await expectOk(h().images.restoreImage(outcome.image.id, T2))).kind).toBe('DataAlreadyDeleted');
      expect(await claim(T2)).toEqual([]);
      expect(ids(await claim(secondsAfter(T2, LEASE)))).toEqual(ids(outcome.jobs));
    });
  });
};

/** Runs only the claim part of the DataDeletionJobQueue contract. */
export function describeDataDeletionJobQueueClaim(name: string, factory: StorageHarnessFactory): void {
  describeDataDeletionJobQueueParts(name, factory, [claimPart]);
}
