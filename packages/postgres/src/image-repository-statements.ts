// The delete side's SQL: the guarded one-statement delete (image row, jobs, event), and the restore's lock, check and undo.
import type { PostgresConnection } from './postgres-connection.js';
import { liveWhere } from './rows.js';

export function imageRepositoryStatements({ schema, statement }: PostgresConnection) {
  const s = schema.sql;

  return {
    /**
     * The whole catalog side of a delete as one statement (all or nothing, even when a timeout cancels it). It writes
     * only if the image row still has the `row_version` the caller decided on, so a concurrent
     * delete, protect, owner change, upload or member change makes it write nothing at all; the
     * caller then reads and decides again. The jobs and the event hang off `img` (by join), so
     * nothing is written unless the image row is. No child row is written: the image row's state
     * hides them, so the statement writes 2 + jobs rows whatever the image has.
     * $1 id, $2 row_version, $3 expected owner, $4 new status, $5 deleted_at, $6 jobs due,
     * $7-$9 job ids, location ids, urls (location order), $10 event id, $11 payload.
     */
    deleteImage: statement(
      'deleteImage',
      `WITH img AS (
         UPDATE ${s}.images i SET status_before_delete = i.status, status = $4::text, deleted = true,
           deleted_at = $5::timestamptz, updated_at = $5::timestamptz, row_version = i.row_version + 1
         WHERE i.id = $1 AND i.row_version = $2::bigint AND i.owner IS NOT DISTINCT FROM $3::text AND NOT i.protected AND ${liveWhere('i')}
         RETURNING i.id
       ), jobs AS (
         INSERT INTO ${s}.data_deletion_jobs (id, image_id, location_id, url, state, available_at, created_at, updated_at)
         SELECT j.id, img.id, j.location_id, j.url, 'queued', $6::timestamptz, $5::timestamptz, $5::timestamptz
         FROM img CROSS JOIN unnest($7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS j (id, location_id, url, ord)
         ORDER BY j.ord
       ), event AS (
         INSERT INTO ${s}.outbox_events (id, type, image_id, payload, occurred_at, available_at)
         SELECT $10::text, 'image.delete', img.id, $11::jsonb, $5::timestamptz, $5::timestamptz FROM img
       )
       SELECT count(*)::int AS deleted FROM img`,
    ),

    // restore (inside one transaction)
    lockImage: statement('lockImage', `SELECT status, deleted_at FROM ${s}.images WHERE id = $1 FOR UPDATE`),
    /**
     * Locks the image's jobs (waiting for a scrubber's claim in flight) and reports whether any
     * is done or was ever claimed, or any of its locations is already deleted.
     */
    restoreBlocked: statement(
      'restoreBlocked',
      // MATERIALIZED and an aggregate over every row: all of the image's jobs are locked, not just the first match.
      `WITH j AS MATERIALIZED (SELECT state, claims FROM ${s}.data_deletion_jobs WHERE image_id = $1 FOR UPDATE)
       SELECT coalesce(bool_or(j.state = 'done' OR j.claims > 0), false)
           OR EXISTS (SELECT 1 FROM ${s}.image_locations l WHERE l.image_id = $1 AND l.status = 'deleted' AND NOT l.deleted) AS blocked
       FROM j`,
    ),
    /** $1 id, $2 now. The delete never wrote the children: with the image live again, they read live again. */
    restoreImage: statement(
      'restoreImage',
      `WITH img AS (
         UPDATE ${s}.images i SET
           status = CASE WHEN EXISTS (SELECT 1 FROM ${s}.image_locations l WHERE l.image_id = i.id AND NOT l.deleted)
                         THEN 'active' ELSE coalesce(i.status_before_delete, 'active') END,
           status_before_delete = NULL, deleted = false, deleted_at = NULL, updated_at = $2::timestamptz, row_version = i.row_version + 1
         WHERE i.id = $1 AND i.status = 'pending_delete'
         RETURNING i.id
       ), jobs AS (
         UPDATE ${s}.data_deletion_jobs j SET state = 'cancelled', updated_at = $2::timestamptz
         FROM img WHERE j.image_id = img.id AND j.state IN ('queued', 'dead')
       )
       SELECT count(*)::int AS restored FROM img`,
    ),
  };
}
