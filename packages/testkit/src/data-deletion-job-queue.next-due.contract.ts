// The DataDeletionJobQueue contract's part on nextDueAt: when the scrubber will next find a job to claim.
import { describe, expect, it } from 'vitest';
import { expectOk } from './expect-result.js';
import type { DeleteRequestOptions } from './fixtures/delete-image-request.js';
import { fixtureLocations } from './fixtures/image-fixture.js';
import { secondsAfter, TEST_EPOCH } from './fixtures/test-clock.js';
import { createFixtureImage, deleteThroughRepository, type DeletedOutcome } from './harness-helpers.js';
import type { StorageHarness } from './storage-harness.js';

const T0 = TEST_EPOCH;
const LEASE = 30;

async function deleteWithJobs(
  h: StorageHarness,
  locations: number,
  options: DeleteRequestOptions & { readonly jobsDueAt: Date },
): Promise<DeletedOutcome> {
  const id = globalThis.crypto.randomUUID();
  const image = await createFixtureImage(h, { id, locations: fixtureLocations(id, locations) });
  return deleteThroughRepository(h, image, T0, options);
}

/** Registers the `nextDueAt` tests inside the DataDeletionJobQueue contract's `describe`. */
export function describeNextDueContract(h: () => StorageHarness): void {
  describe('nextDueAt', () => {
    const nextDueAt = () => expectOk(h().jobs.nextDueAt());

    it('is null without queued jobs: none at all, or only done, dead and cancelled ones', async () => {
      expect(await nextDueAt()).toBeNull();
      const restored = await deleteWithJobs(h(), 1, { delayed: true, jobsDueAt: secondsAfter(T0, 3600) });
      expect((await expectOk(h().images.restoreImage(restored.image.id, secondsAfter(T0, 1)))).kind).toBe('Restored');
      const [done, dead] = (await deleteWithJobs(h(), 2, { jobsDueAt: secondsAfter(T0, 60) })).jobs;
      await expectOk(h().jobs.complete(done!.id, secondsAfter(T0, 2)));
      await expectOk(h().jobs.fail(dead!.id, { now: secondsAfter(T0, 2), error: 'refused', retryAt: null }));
      expect(await nextDueAt()).toBeNull();
    });

    it('is the earliest availableAt of the queued jobs, to the millisecond, whether due yet or not', async () => {
      await deleteWithJobs(h(), 2, { delayed: true, jobsDueAt: secondsAfter(T0, 3600) });
      expect(await nextDueAt()).toEqual(secondsAfter(T0, 3600));
      const sooner = secondsAfter(T0, 60.25);
      await deleteWithJobs(h(), 1, { delayed: true, jobsDueAt: sooner });
      expect(await nextDueAt()).toEqual(sooner);
      // Already due: still the earliest, so a scrubber that sees it in the past runs at once.
      const overdue = secondsAfter(T0, -5.5);
      await deleteWithJobs(h(), 1, { jobsDueAt: overdue });
      expect(await nextDueAt()).toEqual(overdue);
    });

    it('follows claims (the lease end), retries (retryAt) and requeues (now)', async () => {
      const due = secondsAfter(T0, 10);
      const [job] = (await deleteWithJobs(h(), 1, { jobsDueAt: due })).jobs;
      const later = secondsAfter(T0, 3600);
      await deleteWithJobs(h(), 1, { delayed: true, jobsDueAt: later });

      expect(await expectOk(h().jobs.claimDue({ now: due, limit: 10, leaseSeconds: LEASE }))).toHaveLength(1);
      expect(await nextDueAt()).toEqual(secondsAfter(due, LEASE));

      const retryAt = secondsAfter(due, 1.5);
      await expectOk(h().jobs.fail(job!.id, { now: due, error: 'DataStoreUnavailable: timeout', retryAt }));
      expect(await nextDueAt()).toEqual(retryAt);

      await expectOk(h().jobs.fail(job!.id, { now: retryAt, error: 'DataStoreRejected: not mine', retryAt: null }));
      expect(await nextDueAt()).toEqual(later);

      const requeuedAt = secondsAfter(T0, 20);
      expect(await expectOk(h().jobs.requeueDead(requeuedAt, [job!.id]))).toBe(1);
      expect(await nextDueAt()).toEqual(requeuedAt);
    });
  });
}
