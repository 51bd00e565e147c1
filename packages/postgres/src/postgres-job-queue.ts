// DataDeletionJobQueue on PostgreSQL: scrubbers in any number of processes share the queue without waiting for each other.
import { okAsync, type ResultAsync } from 'neverthrow';
import type {
  ClaimDueJobs,
  DataDeletionJob,
  DataDeletionJobQueue,
  DataDeletionJobState,
  JobCounts,
  JobFailure,
  PurgeDeletedChildren,
  StorageError,
} from '@image-catalog/core';
import { asDateOrNull, oldestFirst, toJob, type JobRow, type TimeColumn } from '@image-catalog/sql-kit';
import { jobQueueStatements } from './job-queue-statements.js';
import type { PostgresConnection } from './postgres-connection.js';
import { sqlLimit } from './sql-limit.js';

export class PostgresJobQueue implements DataDeletionJobQueue {
  readonly #c: PostgresConnection;
  readonly #q: ReturnType<typeof jobQueueStatements>;

  constructor(connection: PostgresConnection) {
    this.#c = connection;
    this.#q = jobQueueStatements(connection);
  }

  /**
   * Queued jobs due at `now`, oldest first, leased until `now + leaseSeconds`, each claim
   * counted (a claimed job's image can no longer be restored). Jobs another process is claiming
   * right now are skipped, not waited for (`FOR UPDATE SKIP LOCKED`).
   */
  claimDue(request: ClaimDueJobs): ResultAsync<readonly DataDeletionJob[], StorageError> {
    const limit = sqlLimit(request.limit);
    if (limit === 0) return okAsync([]);
    const leasedUntil = new Date(request.now.getTime() + request.leaseSeconds * 1000);
    return this.#c.db.transaction(async (db) =>
      oldestFirst((await db.query<JobRow>(this.#q.claimJobs([request.now, leasedUntil, limit]))).rows).map(toJob),
    );
  }

  /**
   * The job becomes `done` and its location `deleted`; a `pending_delete` image left with no
   * queued or dead job becomes `deleted`. One transaction that locks the image first, so the
   * last two jobs of an image completing at once cannot both think the other is outstanding.
   */
  complete(jobId: string, now: Date): ResultAsync<void, StorageError> {
    return this.#c.db.transaction(async (tx) => {
      const locked = await tx.query(this.#q.lockImageOfJob([jobId]));
      if (locked.rowCount === 0) return;
      await tx.query(this.#q.completeJob([jobId, now]));
    });
  }

  /** `attempts + 1`, `lastError`; due again at `retryAt`, or `dead` when it is `null`. Jobs not queued are left alone. */
  fail(jobId: string, failure: JobFailure): ResultAsync<void, StorageError> {
    return this.#c.db.transaction(async (db) => {
      await db.query(this.#q.failJob([jobId, failure.error, failure.now, failure.retryAt]));
    });
  }

  /** Oldest first (`created_at`, then insertion order). */
  listJobs(filter: {
    readonly imageId?: string;
    readonly state?: DataDeletionJobState;
    readonly limit?: number;
  }): ResultAsync<readonly DataDeletionJob[], StorageError> {
    return this.#c.db.transaction(async (db) => {
      const values: unknown[] = [sqlLimit(filter.limit)];
      if (filter.imageId !== undefined) values.push(filter.imageId);
      if (filter.state !== undefined) values.push(filter.state);
      const statement = this.#q.listJobs(filter.imageId !== undefined, filter.state !== undefined);
      return (await db.query<JobRow>(statement(values))).rows.map(toJob);
    });
  }

  /** Dead jobs (all, or those of `jobIds`; an empty list requeues none) become queued, due at `now`, attempts 0; `lastError` is kept. */
  requeueDead(now: Date, jobIds?: readonly string[]): ResultAsync<number, StorageError> {
    if (jobIds !== undefined && jobIds.length === 0) return okAsync(0);
    return this.#c.db.transaction(async (db) => {
      const result = await db.query(jobIds === undefined ? this.#q.requeueAllDead([now]) : this.#q.requeueDeadIds([now, [...jobIds]]));
      return result.rowCount ?? 0;
    });
  }

  /**
   * One transaction: locks the images still to purge (oldest delete first, none with a queued or
   * dead job; those another purger holds are skipped), deletes up to `limit` of their child rows
   * table by table, and marks `children_purged` those left without any. Picks again while the
   * budget lasts and the last pick was full, so an answer below `limit` means nothing is left.
   */
  purgeDeletedChildren(request: PurgeDeletedChildren): ResultAsync<number, StorageError> {
    // No limit (Infinity) would be one unbounded transaction: as many as fit in a number instead.
    const limit = sqlLimit(request.limit) ?? Number.MAX_SAFE_INTEGER;
    if (limit === 0) return okAsync(0);
    return this.#c.db.transaction(async (tx) => {
      let removed = 0;
      for (;;) {
        const ids = (await tx.query<{ id: string }>(this.#q.purgeableImages([request.olderThan, limit]))).rows.map((r) => r.id);
        if (ids.length === 0) return removed;
        for (const purge of Object.values(this.#q.purgeChildren)) {
          if (removed < limit) removed += (await tx.query(purge([ids, limit - removed]))).rowCount ?? 0;
        }
        await tx.query(this.#q.markChildrenPurged([ids]));
        if (removed >= limit || ids.length < limit) return removed;
      }
    });
  }

  /** `min(available_at)` of queued jobs, off the partial index of queued jobs. */
  nextDueAt(): ResultAsync<Date | null, StorageError> {
    return this.#c.db.transaction(async (db) =>
      asDateOrNull((await db.query<{ at: TimeColumn | null }>(this.#q.nextDueAt())).rows[0]?.at ?? null),
    );
  }

  counts(): ResultAsync<JobCounts, StorageError> {
    return this.#c.db.transaction(async (db) => {
      const counts = { queued: 0, done: 0, dead: 0, cancelled: 0 };
      for (const row of (await db.query<{ state: DataDeletionJobState; n: number }>(this.#q.countJobs())).rows) counts[row.state] = row.n;
      return counts;
    });
  }
}
