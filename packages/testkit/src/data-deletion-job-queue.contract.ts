// The contract of DataDeletionJobQueue every storage adapter must pass: the sum of its parts (claim, complete, fail, listing).
import { claimPart } from './data-deletion-job-queue/claim.contract.js';
import { completePart } from './data-deletion-job-queue/complete.contract.js';
import { failPart } from './data-deletion-job-queue/fail.contract.js';
import { describeDataDeletionJobQueueParts } from './data-deletion-job-queue/job-queue-suite.js';
import { listingPart } from './data-deletion-job-queue/listing.contract.js';
import { describeNextDueContract } from './data-deletion-job-queue.next-due.contract.js';
import type { StorageHarnessFactory } from './storage-harness.js';

/**
 * Registers the whole DataDeletionJobQueue contract for an adapter. Jobs only come into being
 * through `deleteImage`, so the harness's repository creates them. Each part can also run alone
 * (`describeDataDeletionJobQueueClaim`, `…Complete`, `…Fail`, `…Listing`).
 */
export function describeDataDeletionJobQueueContract(name: string, factory: StorageHarnessFactory): void {
  describeDataDeletionJobQueueParts(name, factory, [claimPart, completePart, failPart, listingPart, ({ h }) => describeNextDueContract(h)]);
}
