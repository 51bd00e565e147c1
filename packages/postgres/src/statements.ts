// Every SQL statement the store runs, named once per schema so node-postgres prepares each once per connection.
import { EVENT_COLUMNS, JOB_COLUMNS, liveWhere, selectImageSql } from './rows.js';
import { statementFactory } from './pg-runner.js';
import type { SchemaName } from './schema-name.js';

/** `JOB_COLUMNS` qualified with `alias`, for statements that join. */
function qualified(columns: string, alias: string): string {
  return columns
    .split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');
}

export function imageStoreStatements(schema: SchemaName) {
  const s = schema.sql;
  const named = statementFactory(schema.statementPrefix);
  const selectImage = selectImageSql(s);
  const softDelete = (table: string) =>
    `UPDATE ${s}.${table} c SET deleted = true, deleted_at = $5::timestamptz FROM img WHERE c.image_id = img.id AND NOT c.deleted`;
  const restoreChildren = (table: string, extra = '') =>
    `UPDATE ${s}.${table} c SET ${extra}deleted = false, deleted_at = NULL FROM img WHERE c.image_id = img.id AND c.deleted AND c.deleted_at = $3::timestamptz`;

  return {
    findById: named('findById', `${selectImage} WHERE i.id = $1`),
    listLive: named('listLive', `${selectImage} WHERE ${liveWhere('i')} ORDER BY i.created_at, i.seq LIMIT $1`),
    listLiveByName: named('listLiveByName', `${selectImage} WHERE ${liveWhere('i')} AND i.name = $1 ORDER BY i.created_at, i.seq LIMIT $2`),

    /**
     * The whole catalog side of a delete as one statement (one implicit transaction). It writes
     * only if the image row still has the `row_version` the caller decided on, so a concurrent
     * delete, protect, owner change, upload or member change makes it write nothing at all; the
     * caller then reads and decides again. Every other part hangs off `img` (by join), so the
     * image row is always locked before any child row: no lock-order deadlock with other writers.
     * $1 id, $2 row_version, $3 expected owner, $4 new status, $5 deleted_at, $6 jobs due,
     * $7-$9 job ids, location ids, urls (location order), $10 event id, $11 payload.
     */
    deleteImage: named(
      'deleteImage',
      `WITH img AS (
         UPDATE ${s}.images i SET status_before_delete = i.status, status = $4::text, deleted = true,
           deleted_at = $5::timestamptz, updated_at = $5::timestamptz, row_version = i.row_version + 1
         WHERE i.id = $1 AND i.row_version = $2::bigint AND i.owner IS NOT DISTINCT FROM $3::text AND NOT i.protected AND ${liveWhere('i')}
         RETURNING i.id
       ), properties AS (${softDelete('image_properties')}),
       tags AS (${softDelete('image_tags')}),
       members AS (${softDelete('image_members')}),
       locations AS (
         UPDATE ${s}.image_locations c SET status = CASE c.status WHEN 'active' THEN 'pending_delete' ELSE c.status END,
           deleted = true, deleted_at = $5::timestamptz
         FROM img WHERE c.image_id = img.id AND NOT c.deleted
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
    lockImage: named('lockImage', `SELECT status, deleted_at FROM ${s}.images WHERE id = $1 FOR UPDATE`),
    /**
     * Locks the image's jobs (waiting for a scrubber's claim in flight) and reports whether any
     * is done or was ever claimed, or any of its locations is already deleted.
     */
    restoreBlocked: named(
      'restoreBlocked',
      // MATERIALIZED and an aggregate over every row: all of the image's jobs are locked, not just the first match.
      `WITH j AS MATERIALIZED (SELECT state, claims FROM ${s}.data_deletion_jobs WHERE image_id = $1 FOR UPDATE)
       SELECT coalesce(bool_or(j.state = 'done' OR j.claims > 0), false)
           OR EXISTS (SELECT 1 FROM ${s}.image_locations l
                      WHERE l.image_id = $1 AND l.status = 'deleted' AND (NOT l.deleted OR l.deleted_at = $2::timestamptz)) AS blocked
       FROM j`,
    ),
    /** $1 id, $2 now, $3 the delete's deleted_at. */
    restoreImage: named(
      'restoreImage',
      `WITH img AS (
         UPDATE ${s}.images i SET
           status = CASE WHEN EXISTS (SELECT 1 FROM ${s}.image_locations l WHERE l.image_id = i.id AND (NOT l.deleted OR l.deleted_at = $3::timestamptz))
                         THEN 'active' ELSE coalesce(i.status_before_delete, 'active') END,
           status_before_delete = NULL, deleted = false, deleted_at = NULL, updated_at = $2::timestamptz, row_version = i.row_version + 1
         WHERE i.id = $1 AND i.status = 'pending_delete'
         RETURNING i.id
       ), properties AS (${restoreChildren('image_properties')}),
       tags AS (${restoreChildren('image_tags')}),
       members AS (${restoreChildren('image_members')}),
       locations AS (${restoreChildren('image_locations', "status = CASE c.status WHEN 'pending_delete' THEN 'active' ELSE c.status END, ")}),
       jobs AS (
         UPDATE ${s}.data_deletion_jobs j SET state = 'cancelled', updated_at = $2::timestamptz
         FROM img WHERE j.image_id = img.id AND j.state IN ('queued', 'dead')
       )
       SELECT count(*)::int AS restored FROM img`,
    ),

    // catalog
    /**
     * One statement: the image, then its children only if the image row was inserted (an id
     * taken by any image, deleted or not, inserts nothing). Children arrive as parallel arrays.
     */
    createImage: named(
      'createImage',
      `WITH img AS (
         INSERT INTO ${s}.images (id, name, owner, status, visibility, protected, size, virtual_size, checksum, os_hash_algo, os_hash_value,
           disk_format, container_format, min_disk, min_ram, created_at, updated_at, deleted, deleted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::timestamptz, $17::timestamptz, $18, $19::timestamptz)
         ON CONFLICT (id) DO NOTHING
         RETURNING id
       ), properties AS (
         INSERT INTO ${s}.image_properties (image_id, name, value, position)
         SELECT img.id, p.name, p.value, p.ord - 1 FROM img CROSS JOIN unnest($20::text[], $21::text[]) WITH ORDINALITY AS p (name, value, ord)
       ), tags AS (
         INSERT INTO ${s}.image_tags (image_id, value, position)
         SELECT img.id, t.value, t.ord - 1 FROM img CROSS JOIN unnest($22::text[]) WITH ORDINALITY AS t (value, ord)
         ON CONFLICT DO NOTHING
       ), members AS (
         INSERT INTO ${s}.image_members (image_id, member_id, status, position, created_at, updated_at)
         SELECT img.id, m.member_id, m.status, m.ord - 1, $16::timestamptz, $16::timestamptz
         FROM img CROSS JOIN unnest($23::text[], $24::text[]) WITH ORDINALITY AS m (member_id, status, ord)
         ON CONFLICT DO NOTHING
       ), locations AS (
         INSERT INTO ${s}.image_locations (image_id, id, url, metadata, status, position)
         SELECT img.id, l.id, l.url, l.metadata::jsonb, l.status, l.ord - 1
         FROM img CROSS JOIN unnest($25::text[], $26::text[], $27::text[], $28::text[]) WITH ORDINALITY AS l (id, url, metadata, status, ord)
       )
       SELECT count(*)::int AS created FROM img`,
    ),
    updateImage: named(
      'updateImage',
      `UPDATE ${s}.images i SET name = CASE WHEN $2::boolean THEN $3::text ELSE i.name END, visibility = coalesce($4::text, i.visibility),
         protected = coalesce($5::boolean, i.protected), status = coalesce($6::text, i.status), updated_at = $7::timestamptz,
         row_version = i.row_version + 1
       WHERE i.id = $1 AND ${liveWhere('i')}
       RETURNING i.id`,
    ),
    /** Locks a live image for a change to its children (bumping `row_version`), without touching `updated_at`. */
    touchLiveImage: named('touchLiveImage', `UPDATE ${s}.images i SET row_version = i.row_version + 1 WHERE i.id = $1 AND ${liveWhere('i')} RETURNING i.id`),
    addMember: named(
      'addMember',
      `INSERT INTO ${s}.image_members (image_id, member_id, status, position, created_at, updated_at)
       VALUES ($1, $2, 'pending', (SELECT coalesce(max(position) + 1, 0) FROM ${s}.image_members WHERE image_id = $1), $3::timestamptz, $3::timestamptz)
       ON CONFLICT DO NOTHING
       RETURNING member_id, status, created_at, updated_at`,
    ),
    selectMember: named('selectMember', `SELECT member_id, status, created_at, updated_at FROM ${s}.image_members WHERE image_id = $1 AND member_id = $2`),
    attachData: named(
      'attachData',
      `UPDATE ${s}.images i SET size = $2, checksum = $3, os_hash_algo = $4, os_hash_value = $5, status = 'active', updated_at = $6::timestamptz,
         row_version = i.row_version + 1
       WHERE i.id = $1 AND ${liveWhere('i')}
       RETURNING i.id`,
    ),
    addLocation: named(
      'addLocation',
      `INSERT INTO ${s}.image_locations (image_id, id, url, metadata, status, position)
       VALUES ($1, $2, $3, $4::jsonb, 'active', (SELECT coalesce(max(position) + 1, 0) FROM ${s}.image_locations WHERE image_id = $1))`,
    ),

    // jobs
    /** Several scrubbers share the queue: rows another claim has locked are skipped, never waited for. */
    claimJobs: named(
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
    lockImageOfJob: named(
      'lockImageOfJob',
      `SELECT i.id FROM ${s}.images i WHERE i.id = (SELECT image_id FROM ${s}.data_deletion_jobs WHERE id = $1 AND state = 'queued') FOR UPDATE`,
    ),
    /** $1 job id, $2 now. Runs after `lockImageOfJob`, so it sees every job state committed before the lock. */
    completeJob: named(
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
    failJob: named(
      'failJob',
      `UPDATE ${s}.data_deletion_jobs SET attempts = attempts + 1, last_error = $2, updated_at = $3::timestamptz,
         state = CASE WHEN $4::timestamptz IS NULL THEN 'dead' ELSE 'queued' END, available_at = coalesce($4::timestamptz, available_at)
       WHERE id = $1 AND state = 'queued'`,
    ),
    requeueAllDead: named(
      'requeueAllDead',
      `UPDATE ${s}.data_deletion_jobs SET state = 'queued', attempts = 0, available_at = $1::timestamptz, updated_at = $1::timestamptz WHERE state = 'dead'`,
    ),
    requeueDeadIds: named(
      'requeueDeadIds',
      `UPDATE ${s}.data_deletion_jobs SET state = 'queued', attempts = 0, available_at = $1::timestamptz, updated_at = $1::timestamptz
       WHERE state = 'dead' AND id = ANY ($2::text[])`,
    ),
    countJobs: named('countJobs', `SELECT state, count(*)::int AS n FROM ${s}.data_deletion_jobs GROUP BY state`),
    /** One statement per filter shape, so each keeps an index-friendly plan. */
    listJobs: (byImage: boolean, byState: boolean) => {
      const where = [byImage ? 'image_id = $2' : null, byState ? `state = $${byImage ? 3 : 2}` : null].filter((w) => w !== null);
      return named(
        `listJobs_${byImage ? 'i' : ''}${byState ? 's' : ''}`,
        `SELECT ${JOB_COLUMNS} FROM ${s}.data_deletion_jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, seq LIMIT $1`,
      );
    },

    // outbox
    claimEvents: named(
      'claimEvents',
      `WITH due AS (
         SELECT seq FROM ${s}.outbox_events WHERE delivered_at IS NULL AND available_at <= $1::timestamptz
         ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED
       )
       UPDATE ${s}.outbox_events o SET available_at = $2::timestamptz FROM due WHERE o.seq = due.seq
       RETURNING ${qualified(EVENT_COLUMNS, 'o')}`,
    ),
    markDelivered: named('markDelivered', `UPDATE ${s}.outbox_events SET delivered_at = $1::timestamptz WHERE delivered_at IS NULL AND id = ANY ($2::text[])`),
    markEventFailed: named(
      'markEventFailed',
      `UPDATE ${s}.outbox_events SET attempts = attempts + 1, last_error = $2, available_at = $3::timestamptz WHERE id = $1 AND delivered_at IS NULL`,
    ),
    listEvents: (byImage: boolean, delivered: boolean | undefined) => {
      const where = [byImage ? 'image_id = $2' : null, delivered === undefined ? null : delivered ? 'delivered_at IS NOT NULL' : 'delivered_at IS NULL'].filter(
        (w) => w !== null,
      );
      return named(
        `listEvents_${byImage ? 'i' : ''}${delivered === undefined ? '' : delivered ? 'd' : 'u'}`,
        `SELECT ${EVENT_COLUMNS} FROM ${s}.outbox_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $1`,
      );
    },
  };
}

export type ImageStoreStatements = ReturnType<typeof imageStoreStatements>;
