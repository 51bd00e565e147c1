// The data-deletion job queue's SQL: claim with SKIP LOCKED, complete under the image lock, fail, requeue, count, list, purge deleted images' children.
import { JOB_COLUMNS } from '@image-catalog/sql-kit';
import type { PostgresConnection } from './postgres-connection.js';
import { qualified } from './rows.js';

/** The tables of an image's children, in the order the purge empties them. */
const CHILD_TABLES = ['image_properties', 'image_tags', 'image_members', 'image_locations'] as const;

export function jobQueueStatements({ schema, statement }: PostgresConnection) {
  const s = schema.sql;
  const purgeChildren = (table: (typeof CHILD_TABLES)[number], key: string) =>
    statement(
      `purge_${table}`,
      `DELETE FROM ${s}.${table} WHERE (image_id, ${key}) IN (SELECT image_id, ${key} FROM ${s}.${table} WHERE image_id = ANY ($1::text[]) LIMIT $2)`,
    );

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
    /**
     * $1 olderThan, $2 limit. The deleted images still to purge (`images_children_to_purge`),
     * oldest delete first, none with data left to remove; locked, and skipped by another purger.
     */
    purgeableImages: statement(
      'purgeableImages',
      `SELECT i.id FROM ${s}.images i WHERE i.status = 'deleted' AND NOT i.children_purged AND i.deleted_at <= $1::timestamptz
         AND NOT EXISTS (SELECT 1 FROM ${s}.data_deletion_jobs j WHERE j.image_id = i.id AND j.state IN ('queued', 'dead'))
       ORDER BY i.deleted_at, i.seq LIMIT $2 FOR UPDATE SKIP LOCKED`,
    ),
    /** $1 image ids, $2 limit: up to that many rows of one child table, by primary key. */
    purgeChildren: {
      image_properties: purgeChildren('image_properties', 'name'),
      image_tags: purgeChildren('image_tags', 'value'),
      image_members: purgeChildren('image_members', 'member_id'),
      image_locations: purgeChildren('image_locations', 'id'),
    },
    /** $1 image ids: those left without a child row are done. */
    markChildrenPurged: statement(
      'markChildrenPurged',
      `UPDATE ${s}.images i SET children_purged = true, row_version = i.row_version + 1 WHERE i.id = ANY ($1::text[])
         ${CHILD_TABLES.map((t) => `AND NOT EXISTS (SELECT 1 FROM ${s}.${t} c WHERE c.image_id = i.id)`).join(' ')}`,
    ),
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
