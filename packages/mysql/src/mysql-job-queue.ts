// DataDeletionJobQueue over MariaDB: leased claims (FOR UPDATE SKIP LOCKED), completion that finishes a pending_delete image, dead letters, the purge of deleted images' children.
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
import { okAsync, type ResultAsync } from 'neverthrow';
import type { MysqlConnection } from './mysql-connection.js';

/** The tables of an image's children, in the order the purge empties them. */
const CHILD_TABLES = ['image_properties', 'image_tags', 'image_members', 'image_locations'] as const;

export class MysqlJobQueue implements DataDeletionJobQueue {
  constructor(private readonly db: MysqlConnection) {}

  /**
   * Locks due jobs, skipping rows another claim or a restore holds, moves them out of reach for the
   * lease and stamps `claimed_at` (kept from the first claim on: it is what refuses a restore).
   */
  claimDue(request: ClaimDueJobs): ResultAsync<readonly DataDeletionJob[], StorageError> {
    if (request.limit <= 0) return okAsync([]);
    const now = request.now.getTime();
    const leasedUntil = now + request.leaseSeconds * 1000;
    return this.db.transaction(async (sql) => {
      const due = await sql.rows<JobRow>(
        `SELECT ${JOB_COLUMNS} FROM data_deletion_jobs FORCE INDEX (data_deletion_jobs_claim_order)
         WHERE state = 'queued' AND available_at <= ? ORDER BY created_at, seq LIMIT ? FOR UPDATE SKIP LOCKED`,
        [now, Math.floor(request.limit)],
      );
      if (due.length === 0) return [];
      await sql.run(
        'UPDATE data_deletion_jobs SET available_at = ?, updated_at = ?, claimed_at = COALESCE(claimed_at, ?) WHERE seq IN (?)',
        [leasedUntil, now, now, due.map((job) => job.seq)],
      );
      return oldestFirst(due).map((row) => toJob({ ...row, available_at: leasedUntil, updated_at: now }));
    });
  }

  /** Image row first, then the job (the lock order of delete and restore), so they never deadlock. */
  complete(jobId: string, now: Date): ResultAsync<void, StorageError> {
    return this.db.transaction(async (sql) => {
      const [job] = await sql.rows<{ image_id: string }>('SELECT image_id FROM data_deletion_jobs WHERE id = ?', [jobId]);
      if (job === undefined) return;
      await sql.rows('SELECT seq FROM images WHERE id = ? FOR UPDATE', [job.image_id]);
      const [locked] = await sql.rows<{ state: DataDeletionJobState; location_id: string }>(
        'SELECT state, location_id FROM data_deletion_jobs WHERE id = ? FOR UPDATE',
        [jobId],
      );
      if (locked?.state !== 'queued') return;
      const at = now.getTime();
      await sql.run("UPDATE data_deletion_jobs SET state = 'done', updated_at = ? WHERE id = ?", [at, jobId]);
      await sql.run("UPDATE image_locations SET status = 'deleted' WHERE image_id = ? AND id = ?", [job.image_id, locked.location_id]);
      // The last outstanding (queued or dead) job of a pending_delete image finishes its delete.
      await sql.run(
        `UPDATE images FORCE INDEX (images_id) SET status = 'deleted', updated_at = ? WHERE id = ? AND status = 'pending_delete'
           AND NOT EXISTS (SELECT 1 FROM data_deletion_jobs j WHERE j.image_id = images.id AND j.state IN ('queued', 'dead'))`,
        [at, job.image_id],
      );
    });
  }

  fail(jobId: string, failure: JobFailure): ResultAsync<void, StorageError> {
    const retryAt = failure.retryAt === null ? null : failure.retryAt.getTime();
    return this.db.transaction(async (sql) => {
      await sql.run(
        `UPDATE data_deletion_jobs FORCE INDEX (data_deletion_jobs_id)
         SET attempts = attempts + 1, last_error = ?, updated_at = ?, state = ?, available_at = COALESCE(?, available_at)
         WHERE id = ? AND state = 'queued'`,
        [failure.error, failure.now.getTime(), retryAt === null ? 'dead' : 'queued', retryAt, jobId],
      );
    });
  }

  listJobs(filter: {
    readonly imageId?: string;
    readonly state?: DataDeletionJobState;
    readonly limit?: number;
  }): ResultAsync<readonly DataDeletionJob[], StorageError> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.imageId !== undefined) {
      where.push('image_id = ?');
      values.push(filter.imageId);
    }
    if (filter.state !== undefined) {
      where.push('state = ?');
      values.push(filter.state);
    }
    const condition = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    let statement = `SELECT ${JOB_COLUMNS} FROM data_deletion_jobs${condition} ORDER BY created_at, seq`;
    if (filter.limit !== undefined) statement += ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
    return this.db.read(async (sql) => (await sql.rows<JobRow>(statement, values)).map(toJob));
  }

  /** Only `dead` jobs come back (never `cancelled` ones); `claimed_at` stays, so the image stays unrestorable. */
  requeueDead(now: Date, jobIds?: readonly string[]): ResultAsync<number, StorageError> {
    if (jobIds !== undefined && jobIds.length === 0) return okAsync(0);
    const at = now.getTime();
    const set = "SET state = 'queued', attempts = 0, available_at = ?, updated_at = ?";
    return this.db.transaction((sql) =>
      jobIds === undefined
        ? sql.run(`UPDATE data_deletion_jobs ${set} WHERE state = 'dead'`, [at, at])
        : sql.run(`UPDATE data_deletion_jobs FORCE INDEX (data_deletion_jobs_id) ${set} WHERE state = 'dead' AND id IN (?)`, [
            at,
            at,
            jobIds,
          ]),
    );
  }

  /**
   * One transaction: locks the images still to purge (oldest delete first, none with a queued or
   * dead job; rows another purger holds are skipped), deletes up to `limit` of their child rows
   * table by table, and marks `children_purged` those left without any. Picks again while the
   * budget lasts and the last pick was full, so an answer below `limit` means nothing is left.
   */
  purgeDeletedChildren(request: PurgeDeletedChildren): ResultAsync<number, StorageError> {
    const limit = Number.isNaN(request.limit) ? 0 : Math.max(0, Math.min(Math.floor(request.limit), Number.MAX_SAFE_INTEGER));
    if (limit === 0) return okAsync(0);
    const olderThan = request.olderThan.getTime();
    return this.db.transaction(async (sql) => {
      let removed = 0;
      for (;;) {
        const picked = await sql.rows<{ id: string }>(
          `SELECT id FROM images FORCE INDEX (images_children_to_purge)
           WHERE status = 'deleted' AND children_purged = FALSE AND deleted_at <= ?
             AND NOT EXISTS (SELECT 1 FROM data_deletion_jobs j WHERE j.image_id = images.id AND j.state IN ('queued', 'dead'))
           ORDER BY deleted_at, seq LIMIT ? FOR UPDATE SKIP LOCKED`,
          [olderThan, limit],
        );
        const ids = picked.map((row) => row.id);
        if (ids.length === 0) return removed;
        for (const table of CHILD_TABLES) {
          if (removed < limit) removed += await sql.run(`DELETE FROM ${table} WHERE image_id IN (?) LIMIT ?`, [ids, limit - removed]);
        }
        await sql.run(
          `UPDATE images FORCE INDEX (images_id) SET children_purged = TRUE WHERE id IN (?)
             ${CHILD_TABLES.map((t) => `AND NOT EXISTS (SELECT 1 FROM ${t} c WHERE c.image_id = images.id)`).join(' ')}`,
          [ids],
        );
        if (removed >= limit || ids.length < limit) return removed;
      }
    });
  }

  /** `min(available_at)` of queued jobs, off the `(state, available_at)` index. */
  nextDueAt(): ResultAsync<Date | null, StorageError> {
    return this.db.read(async (sql) => {
      const [row] = await sql.rows<{ at: TimeColumn | null }>(
        "SELECT MIN(available_at) AS at FROM data_deletion_jobs WHERE state = 'queued'",
      );
      return asDateOrNull(row?.at ?? null);
    });
  }

  counts(): ResultAsync<JobCounts, StorageError> {
    return this.db.read(async (sql) => {
      const counts = { queued: 0, done: 0, dead: 0, cancelled: 0 };
      for (const row of await sql.rows<{ state: DataDeletionJobState; n: number }>(
        'SELECT state, COUNT(*) AS n FROM data_deletion_jobs GROUP BY state',
      )) {
        counts[row.state] = Number(row.n);
      }
      return counts;
    });
  }
}
