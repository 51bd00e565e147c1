// The SQLite DataDeletionJobQueue: leases, completion (finishing a pending delete), failures, dead letters, the purge of deleted images' children.
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
import { asDateOrNull, JOB_COLUMNS, oldestFirst, toJob, type JobRow, type TimeColumn } from '@image-catalog/sql-kit';
import { sqlLimit, type SqliteConnection, type Statement } from './sqlite-connection.js';

export class SqliteJobQueue implements DataDeletionJobQueue {
  readonly #c: SqliteConnection;
  readonly #s: Record<keyof typeof STATEMENTS, Statement>;
  readonly #claimTx: (request: ClaimDueJobs) => ResultAsync<readonly DataDeletionJob[], StorageError>;
  readonly #completeTx: (jobId: string, now: Date) => ResultAsync<void, StorageError>;
  readonly #failTx: (jobId: string, failure: JobFailure) => ResultAsync<void, StorageError>;
  readonly #requeueTx: (now: Date, jobIds: readonly string[] | undefined) => ResultAsync<number, StorageError>;
  readonly #purgeTx: (olderThan: number, limit: number) => ResultAsync<number, StorageError>;

  /** Every write is one BEGIN IMMEDIATE transaction, waiting for the lock on timers (see `SqliteConnection.transaction`). */
  constructor(connection: SqliteConnection) {
    this.#c = connection;
    this.#s = connection.prepareAll(STATEMENTS);
    this.#claimTx = connection.transaction((request: ClaimDueJobs) => this.#claimInTx(request));
    this.#completeTx = connection.transaction((jobId: string, now: Date) => this.#completeInTx(jobId, now));
    this.#failTx = connection.transaction((jobId: string, failure: JobFailure) => this.#failInTx(jobId, failure));
    this.#requeueTx = connection.transaction((now: Date, jobIds: readonly string[] | undefined) => this.#requeueInTx(now, jobIds));
    this.#purgeTx = connection.transaction((olderThan: number, limit: number) => this.#purgeInTx(olderThan, limit));
  }

  /**
   * One UPDATE … RETURNING: leases due queued jobs and stamps `claimed_at` (the first claim's time
   * is kept), which from then on stops `restoreImage` for their images.
   */
  claimDue(request: ClaimDueJobs): ResultAsync<readonly DataDeletionJob[], StorageError> {
    return this.#claimTx(request);
  }

  #claimInTx(request: ClaimDueJobs): readonly DataDeletionJob[] {
    const limit = sqlLimit(request.limit);
    if (limit === 0) return [];
    const now = request.now.getTime();
    const rows = this.#s.claimJobs.all({ leasedUntil: now + request.leaseSeconds * 1000, now, limit }) as JobRow[];
    return oldestFirst(rows).map(toJob);
  }

  complete(jobId: string, now: Date): ResultAsync<void, StorageError> {
    return this.#completeTx(jobId, now);
  }

  #completeInTx(jobId: string, now: Date): void {
    const s = this.#s;
    const at = now.getTime();
    const job = s.completeJob.get(at, jobId) as { image_id: string; location_id: string } | undefined;
    if (job === undefined) return;
    s.markLocationDeleted.run(job.image_id, job.location_id);
    s.finishPendingDelete.run({ now: at, imageId: job.image_id });
  }

  fail(jobId: string, failure: JobFailure): ResultAsync<void, StorageError> {
    return this.#failTx(jobId, failure);
  }

  #failInTx(jobId: string, failure: JobFailure): void {
    this.#s.failJob.run({
      id: jobId,
      error: failure.error,
      now: failure.now.getTime(),
      retryAt: failure.retryAt === null ? null : failure.retryAt.getTime(),
    });
  }

  listJobs(filter: {
    readonly imageId?: string;
    readonly state?: DataDeletionJobState;
    readonly limit?: number;
  }): ResultAsync<readonly DataDeletionJob[], StorageError> {
    return this.#c.read(() => {
      const filters = [
        filter.imageId === undefined ? null : { sql: 'image_id = @imageId', params: { imageId: filter.imageId } },
        filter.state === undefined ? null : { sql: 'state = @state', params: { state: filter.state } },
      ];
      const rows = this.#c.list<JobRow>(
        { columns: JOB_COLUMNS, from: 'data_deletion_jobs', orderBy: 'created_at, seq' },
        filters,
        filter.limit,
      );
      return rows.map(toJob);
    });
  }

  /** Only `dead` jobs come back (a job a restore `cancelled` never does, whatever ids are given); `claimed_at` is kept. */
  requeueDead(now: Date, jobIds?: readonly string[]): ResultAsync<number, StorageError> {
    return this.#requeueTx(now, jobIds);
  }

  #requeueInTx(now: Date, jobIds: readonly string[] | undefined): number {
    const at = now.getTime();
    const changed = jobIds === undefined ? this.#s.requeueAllDead.run(at, at) : this.#s.requeueDeadIds.run(at, at, JSON.stringify(jobIds));
    return changed.changes;
  }

  /**
   * One BEGIN IMMEDIATE transaction: picks the images still to purge (`images_children_to_purge`,
   * oldest delete first, none with a queued or dead job), deletes up to `limit` of their child rows
   * table by table, and marks `children_purged` those left without any. Picks again while the
   * budget lasts and the last pick was full, so an answer below `limit` means nothing is left.
   */
  purgeDeletedChildren(request: PurgeDeletedChildren): ResultAsync<number, StorageError> {
    // SQLite's "no limit" (-1, for Infinity) would be unbounded: as many as fit in a number instead.
    const limit = sqlLimit(request.limit) === -1 ? Number.MAX_SAFE_INTEGER : sqlLimit(request.limit);
    if (limit === 0) return okAsync(0);
    const olderThan = request.olderThan.getTime();
    // Nothing to purge is the common case (the scrubber asks every run): find out with a plain read, not under the write lock.
    return this.#c
      .read(() => this.#s.purgeableImages.pluck().get({ olderThan, limit: 1 }) !== undefined)
      .andThen((any) => (any ? this.#purgeTx(olderThan, limit) : okAsync(0)));
  }

  #purgeInTx(olderThan: number, limit: number): number {
    const s = this.#s;
    let removed = 0;
    for (;;) {
      const ids = s.purgeableImages.pluck().all({ olderThan, limit }) as string[];
      if (ids.length === 0) return removed;
      const list = JSON.stringify(ids);
      for (const remove of [s.purgeProperties, s.purgeTags, s.purgeMembers, s.purgeLocations]) {
        if (removed < limit) removed += remove.run({ ids: list, limit: limit - removed }).changes;
      }
      s.markChildrenPurged.run({ ids: list });
      if (removed >= limit || ids.length < limit) return removed;
    }
  }

  /** `min(available_at)` of queued jobs, off the `(state, available_at)` index. */
  nextDueAt(): ResultAsync<Date | null, StorageError> {
    return this.#c.read(() => {
      const row = this.#s.nextDueAt.get() as { at: TimeColumn | null };
      return asDateOrNull(row.at);
    });
  }

  counts(): ResultAsync<JobCounts, StorageError> {
    return this.#c.read(() => {
      const counts = { queued: 0, done: 0, dead: 0, cancelled: 0 };
      for (const row of this.#s.countJobs.all() as { state: DataDeletionJobState; n: number }[]) counts[row.state] = row.n;
      return counts;
    });
  }
}

const STATEMENTS = {
  claimJobs: `UPDATE data_deletion_jobs SET available_at = @leasedUntil, updated_at = @now, claimed_at = coalesce(claimed_at, @now)
     WHERE seq IN (SELECT seq FROM data_deletion_jobs WHERE state = 'queued' AND available_at <= @now ORDER BY created_at, seq LIMIT @limit)
     RETURNING ${JOB_COLUMNS}`,
  completeJob:
    "UPDATE data_deletion_jobs SET state = 'done', updated_at = ? WHERE id = ? AND state = 'queued' RETURNING image_id, location_id",
  markLocationDeleted: "UPDATE image_locations SET status = 'deleted' WHERE image_id = ? AND id = ?",
  finishPendingDelete: `UPDATE images SET status = 'deleted', updated_at = @now WHERE id = @imageId AND status = 'pending_delete'
       AND NOT EXISTS (SELECT 1 FROM data_deletion_jobs j WHERE j.image_id = @imageId AND j.state IN ('queued', 'dead'))`,
  failJob: `UPDATE data_deletion_jobs SET attempts = attempts + 1, last_error = @error, updated_at = @now,
       state = CASE WHEN @retryAt IS NULL THEN 'dead' ELSE 'queued' END, available_at = coalesce(@retryAt, available_at)
     WHERE id = @id AND state = 'queued'`,
  requeueAllDead: "UPDATE data_deletion_jobs SET state = 'queued', attempts = 0, available_at = ?, updated_at = ? WHERE state = 'dead'",
  requeueDeadIds:
    "UPDATE data_deletion_jobs SET state = 'queued', attempts = 0, available_at = ?, updated_at = ? WHERE state = 'dead' AND id IN (SELECT value FROM json_each(?))",
  countJobs: 'SELECT state, count(*) AS n FROM data_deletion_jobs GROUP BY state',
  nextDueAt: "SELECT min(available_at) AS at FROM data_deletion_jobs WHERE state = 'queued'",

  // purge: the terms of the partial index images_children_to_purge, verbatim, so it serves the pick.
  purgeableImages: `SELECT id FROM images WHERE status = 'deleted' AND children_purged = 0 AND deleted_at <= @olderThan
       AND NOT EXISTS (SELECT 1 FROM data_deletion_jobs j WHERE j.image_id = images.id AND j.state IN ('queued', 'dead'))
     ORDER BY deleted_at, seq LIMIT @limit`,
  purgeProperties: purgeChildren('image_properties', 'name'),
  purgeTags: purgeChildren('image_tags', 'value'),
  purgeMembers: purgeChildren('image_members', 'member_id'),
  purgeLocations: purgeChildren('image_locations', 'id'),
  markChildrenPurged: `UPDATE images SET children_purged = 1 WHERE id IN (SELECT value FROM json_each(@ids))
     ${['image_properties', 'image_tags', 'image_members', 'image_locations'].map((t) => `AND NOT EXISTS (SELECT 1 FROM ${t} c WHERE c.image_id = images.id)`).join(' ')}`,
} as const;

/** Deletes up to `@limit` rows of `table` belonging to the images of `@ids` (a JSON array), by primary key. */
function purgeChildren(table: string, key: string): string {
  return `DELETE FROM ${table} WHERE (image_id, ${key}) IN
     (SELECT image_id, ${key} FROM ${table} WHERE image_id IN (SELECT value FROM json_each(@ids)) LIMIT @limit)`;
}
