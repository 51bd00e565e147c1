// The data-deletion job queue's SQL: claim with SKIP LOCKED, complete under the image lock, fail, requeue, count, list.
import { JOB_COLUMNS } from '@image-catalog/sql-kit';
import type { PostgresConnection } from './postgres-connection.js';
import { qualified } from './rows.js';

export function jobQueueStatements({ schema, statement }: PostgresConnection) {
  const s = schema.sql;

  return {
    /** Several scrubbers share the queue: rows another claim has locked are skipped, never waited for. */
    claimJobs: statement(
      'claimJobs',
      `WITH due AS (
         SELECT seq FROM ${s}.data_deletion_jobs WHERE state = 'queued' AND available_at <= $1::timestamptz
         ORDER BY created_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED
       )
       UPDATE ${s}.data_deletion_jobs j SET available_at = $2::timestamptz, updated_at = $1::timestamptz,
         claims = j.claims + 1, claimed_at = coalesce(j.claimed_at, $1::timestamptz)
       FROM due WHERE j.seq = due.seq
       RETURNING ${qualified(JOB_COLUMNS, 'j')}`,
    ),
    /** Locks the image of a queued job first, so two completions of one image's jobs run one after the other. */
    lockImageOfJob: statement(
      'lockImageOfJob',
      `SELECT i.id FROM ${s}.images i WHERE i.id = (SELECT image_id FROM ${s}.data_deletion_jobs WHERE id = $1 AND state = 'queued') FOR UPDATE`,
    ),
    /** $1 job id, $2 now. Runs after `lockImageOfJob`, so it sees every job state committed before the lock. */
    completeJob: statement(
      'completeJob',
      `WITH job AS (
         UPDATE ${s}.data_deletion_jobs SET state = 'done', updated_at = $2::timestamptz WHERE id = $1 AND state = 'queued'
         RETURNING image_id, location_id
       ), location AS (
         UPDATE ${s}.image_locations l SET status = 'deleted' FROM job WHERE l.image_id = job.image_id AND l.id = job.location_id
       ), finished AS (
         SELECT i.id, i.status = 'pending_delete' AND NOT EXISTS (
             SELECT 1 FROM ${s}.data_deletion_jobs o WHERE o.image_id = i.id AND o.id <> $1 AND o.state IN ('queued', 'dead')
           ) AS last
         FROM ${s}.images i JOIN job ON i.id = job.image_id
       ), img AS (
         UPDATE ${s}.images i SET row_version = i.row_version + 1,
           status = CASE WHEN f.last THEN 'deleted' ELSE i.status END,
           updated_at = CASE WHEN f.last THEN $2::timestamptz ELSE i.updated_at END
         FROM finished f WHERE i.id = f.id
       )
       SELECT count(*)::int AS completed FROM job`,
    ),
    failJob: statement(
      'failJob',
      `UPDATE ${s}.data_deletion_jobs SET attempts = attempts + 1, last_error = $2, updated_at = $3::timestamptz,
         state = CASE WHEN $4::timestamptz IS NULL THEN 'dead' ELSE 'queued' END, available_at = coalesce($4::timestamptz, available_at)
       WHERE id = $1 AND state = 'queued'`,
    ),
    requeueAllDead: statement(
      'requeueAllDead',
      `UPDATE ${s}.data_deletion_jobs SET state = 'queued', attempts = 0, available_at = $1::timestamptz, updated_at = $1::timestamptz WHERE state = 'dead'`,
    ),
    requeueDeadIds: statement(
      'requeueDeadIds',
      `UPDATE ${s}.data_deletion_jobs SET state = 'queued', attempts = 0, available_at = $1::timestamptz, updated_at = $1::timestamptz
       WHERE state = 'dead' AND id = ANY ($2::text[])`,
    ),
    countJobs: statement('countJobs', `SELECT state, count(*)::int AS n FROM ${s}.data_deletion_jobs GROUP BY state`),
    nextDueAt: statement('nextDueAt', `SELECT min(available_at) AS at FROM ${s}.data_deletion_jobs WHERE state = 'queued'`),
    /** One statement per filter shape, so each keeps an index-friendly plan. */
    listJobs: (byImage: boolean, byState: boolean) => {
      const where = [byImage ? 'image_id = $2' : null, byState ? `state = $${byImage ? 3 : 2}` : null].filter((w) => w !== null);
      return statement(
        `listJobs_${byImage ? 'i' : ''}${byState ? 's' : ''}`,
        `SELECT ${JOB_COLUMNS} FROM ${s}.data_deletion_jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, seq LIMIT $1`,
      );
    },
  };
}
