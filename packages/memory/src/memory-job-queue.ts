// The in-memory DataDeletionJobQueue: claim due jobs under a lease, complete, fail, list, requeue, count, purge deleted images' children.
import type {
  ClaimDueJobs,
  DataDeletionJob,
  DataDeletionJobQueue,
  DataDeletionJobState,
  Image,
  JobCounts,
  JobFailure,
  PurgeDeletedChildren,
  StorageError,
} from '@image-catalog/core';
import type { ResultAsync } from 'neverthrow';
import type { MemoryDatabase } from './memory-database.js';
import { boundedLimit, copyDate, oldestFirst, OUTSTANDING_JOB_STATES } from './memory-rows.js';
import type { MemoryTransaction } from './memory-transaction.js';

/** The jobs of the transaction's state, as the port shows them. */
function allJobs(tx: MemoryTransaction): DataDeletionJob[] {
  return [...tx.jobs.values()].map((stored) => stored.job);
}

export class MemoryJobQueue implements DataDeletionJobQueue {
  constructor(private readonly db: MemoryDatabase) {}

  /**
   * Queued jobs due at `now` (inclusive), oldest first (`createdAt`, then commit order), leased
   * until `now + leaseSeconds`. Each claimed job is marked claimed (the first claim's time is
   * kept), which from then on stops `restoreImage` for its image.
   */
  claimDue(request: ClaimDueJobs): ResultAsync<readonly DataDeletionJob[], StorageError> {
    const now = copyDate(request.now);
    const leasedUntil = new Date(now.getTime() + request.leaseSeconds * 1000);
    return this.db.transact('claimDue', (tx) => {
      const due = oldestFirst(allJobs(tx).filter((j) => j.state === 'queued' && j.availableAt.getTime() <= now.getTime()));
      const claimed = due
        .slice(0, boundedLimit(request.limit))
        .map((j): DataDeletionJob => ({ ...j, availableAt: leasedUntil, updatedAt: now }));
      for (const job of claimed) tx.putJob({ job, claimedAt: tx.jobs.get(job.id)?.claimedAt ?? now });
      return claimed;
    });
  }

  /**
   * The job becomes `done` and its location `deleted`; a `pending_delete` image left with no
   * queued or dead job becomes `deleted` (`updatedAt` = now, `deletedAt` unchanged). A job that
   * is not queued (done, dead, cancelled by a restore) or unknown is left alone.
   */
  complete(jobId: string, now: Date): ResultAsync<void, StorageError> {
    const at = copyDate(now);
    return this.db.transact('complete', (tx) => {
      const stored = tx.jobs.get(jobId);
      if (stored === undefined || stored.job.state !== 'queued') return undefined;
      const job = stored.job;
      tx.putJob({ ...stored, job: { ...job, state: 'done', updatedAt: at } });
      tx.step('job');

      const image = tx.images.get(job.imageId);
      if (image === undefined) return undefined;
      const withLocation: Image = {
        ...image,
        locations: image.locations.map((l) => (l.id === job.locationId ? { ...l, status: 'deleted' as const } : l)),
      };
      tx.putImage(withLocation);
      tx.step('location');

      if (image.status === 'pending_delete') {
        const outstanding = allJobs(tx).some((j) => j.imageId === image.id && OUTSTANDING_JOB_STATES.has(j.state));
        if (!outstanding) {
          tx.putImage({ ...withLocation, status: 'deleted', updatedAt: at });
          tx.step('image');
        }
      }
      return undefined;
    });
  }

  /** `attempts + 1`, `lastError`; due again at `retryAt`, or `dead` when it is `null`. Not-queued or unknown jobs are left alone. */
  fail(jobId: string, failure: JobFailure): ResultAsync<void, StorageError> {
    const now = copyDate(failure.now);
    return this.db.transact('fail', (tx) => {
      const stored = tx.jobs.get(jobId);
      if (stored === undefined || stored.job.state !== 'queued') return undefined;
      const attempted = { ...stored.job, attempts: stored.job.attempts + 1, lastError: failure.error, updatedAt: now };
      const job: DataDeletionJob =
        failure.retryAt === null ? { ...attempted, state: 'dead' } : { ...attempted, availableAt: copyDate(failure.retryAt) };
      tx.putJob({ ...stored, job });
      return undefined;
    });
  }

  /** Oldest first (`createdAt`, then commit order). */
  listJobs(filter: {
    readonly imageId?: string;
    readonly state?: DataDeletionJobState;
    readonly limit?: number;
  }): ResultAsync<readonly DataDeletionJob[], StorageError> {
    return this.db.transact('listJobs', (tx) =>
      oldestFirst(
        allJobs(tx).filter(
          (j) => (filter.imageId === undefined || j.imageId === filter.imageId) && (filter.state === undefined || j.state === filter.state),
        ),
      ).slice(0, boundedLimit(filter.limit)),
    );
  }

  /**
   * Dead jobs (all of them, or those of `jobIds`; an empty list requeues none) become queued, due
   * at `now`, attempts 0; `lastError` and the claim marker are kept. Only `dead` jobs: a job a
   * restore `cancelled` is never brought back, whatever ids are given.
   */
  requeueDead(now: Date, jobIds?: readonly string[]): ResultAsync<number, StorageError> {
    const at = copyDate(now);
    const wanted = jobIds === undefined ? null : new Set(jobIds);
    return this.db.transact('requeueDead', (tx) => {
      let count = 0;
      for (const stored of [...tx.jobs.values()]) {
        const job = stored.job;
        if (job.state !== 'dead' || (wanted !== null && !wanted.has(job.id))) continue;
        tx.putJob({ ...stored, job: { ...job, state: 'queued', attempts: 0, availableAt: at, updatedAt: at } });
        count += 1;
      }
      return count;
    });
  }

  /**
   * Up to `limit` children of images `deleted` at or before `olderThan` with no queued or dead
   * job, oldest delete first; each image's properties, then tags, members and locations, in
   * their order. Answers how many were removed (fewer than `limit`: none is left).
   */
  purgeDeletedChildren(request: PurgeDeletedChildren): ResultAsync<number, StorageError> {
    const olderThan = request.olderThan.getTime();
    const limit = boundedLimit(request.limit);
    return this.db.transact('purgeDeletedChildren', (tx) => {
      const outstanding = new Set(
        allJobs(tx)
          .filter((j) => OUTSTANDING_JOB_STATES.has(j.state))
          .map((j) => j.imageId),
      );
      const gone = [...tx.images.values()]
        .filter((i) => i.status === 'deleted' && i.deletedAt !== null && i.deletedAt.getTime() <= olderThan && !outstanding.has(i.id))
        .sort((a, b) => (a.deletedAt?.getTime() ?? 0) - (b.deletedAt?.getTime() ?? 0));
      let removed = 0;
      for (const image of gone) {
        if (removed >= limit) break;
        const before = removed;
        const keep = <T>(rows: readonly T[]): T[] => {
          const taken = Math.min(rows.length, limit - removed);
          removed += taken;
          return rows.slice(taken);
        };
        const properties = Object.fromEntries(keep(Object.entries(image.properties)));
        const tags = keep(image.tags);
        const members = keep(image.members);
        const locations = keep(image.locations);
        if (removed > before) tx.putImage({ ...image, properties, tags, members, locations });
      }
      tx.step('children');
      return removed;
    });
  }

  /** The earliest `availableAt` among queued jobs (leased ones included), or `null`. */
  nextDueAt(): ResultAsync<Date | null, StorageError> {
    return this.db.transact('nextDueAt', (tx) => {
      let earliest: Date | null = null;
      for (const { job } of tx.jobs.values())
        if (job.state === 'queued' && (earliest === null || job.availableAt < earliest)) earliest = job.availableAt;
      return earliest === null ? null : copyDate(earliest);
    });
  }

  counts(): ResultAsync<JobCounts, StorageError> {
    return this.db.transact('counts', (tx) => {
      const counts = { queued: 0, done: 0, dead: 0, cancelled: 0 };
      for (const { job } of tx.jobs.values()) counts[job.state] += 1;
      return counts;
    });
  }
}
