// The DataDeletionJobQueue contract's frame: its title, one fresh harness per test, the claim it uses, and how it seeds jobs.
import type { DataDeletionJob } from '@image-catalog/core';
import { expect } from 'vitest';
import { expectOk } from '../expect-result.js';
import type { DeleteRequestOptions } from '../fixtures/delete-image-request.js';
import { fixtureLocations } from '../fixtures/image-fixture.js';
import { createFixtureImage, deleteThroughRepository, type DeletedOutcome } from '../harness-helpers.js';
import type { StorageHarness, StorageHarnessFactory } from '../storage-harness.js';
import { describeParts, type SuitePart } from '../suite-parts.js';
import { useHarness } from '../use-harness.js';

/** The lease every claim of the suite takes, in seconds. */
export const LEASE = 30;

/** What each part of the queue contract works with. */
export interface JobQueueSuite {
  /** The current test's harness. */
  readonly h: () => StorageHarness;
  /** `claimDue` at `now` (up to `limit` jobs, leased for `LEASE`), failing the test on an error. */
  readonly claim: (now: Date, limit?: number) => Promise<readonly DataDeletionJob[]>;
}

/** A part of the queue contract. */
export type JobQueuePart = SuitePart<JobQueueSuite>;

/**
 * Registers `parts` of the DataDeletionJobQueue contract for an adapter. Jobs only come into being
 * through `deleteImage`, so the harness's repository creates them.
 */
export function describeDataDeletionJobQueueParts(name: string, factory: StorageHarnessFactory, parts: readonly JobQueuePart[]): void {
  describeParts(
    `${name}: DataDeletionJobQueue contract`,
    () => {
      const h = useHarness(factory);
      return { h, claim: (now: Date, limit = 10) => expectOk(h().jobs.claimDue({ now, limit, leaseSeconds: LEASE })) };
    },
    parts,
  );
}

/** Creates an image with `locations` data locations and deletes it, so the queue holds its jobs. */
export async function seedDeleted(
  h: StorageHarness,
  locations: number,
  deletedAt: Date,
  request: DeleteRequestOptions = {},
): Promise<DeletedOutcome> {
  const id = globalThis.crypto.randomUUID();
  const image = await createFixtureImage(h, { id, locations: fixtureLocations(id, locations) });
  return deleteThroughRepository(h, image, deletedAt, { jobsDueAt: deletedAt, ...request });
}

/** The job with this id, failing the test when there is none. */
export async function job(h: StorageHarness, jobId: string): Promise<DataDeletionJob> {
  const found = (await expectOk(h.jobs.listJobs({}))).find((j) => j.id === jobId);
  if (found === undefined) expect.fail(`job ${jobId} not found`);
  return found;
}

/** The ids of `jobs`, in their order. */
export const ids = (jobs: readonly DataDeletionJob[]) => jobs.map((j) => j.id);
