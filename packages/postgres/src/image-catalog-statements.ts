// The authoring side's SQL: create an image with its children in one statement, list, update, add members and data.
import type { PostgresConnection } from './postgres-connection.js';
import { liveWhere, selectImageSql } from './rows.js';

/**
 * The first key of the quota advisory locks (`pg_advisory_xact_lock(class, hashtext(key))`), apart
 * from the migrations' class. Two projects whose keys hash alike only share a lock: they wait for
 * each other's quota checks, nothing more.
 */
export const QUOTA_LOCK_CLASS = 0x1c_a7a2;

export function imageCatalogStatements({ schema, statement }: PostgresConnection) {
  const s = schema.sql;
  const selectImage = selectImageSql(s);
  // `isImageVisibleTo` in SQL: $1 lists every live image (no principal, or an admin); else by project $2.
  const visible = `($1::boolean OR i.visibility IN ('public', 'community') OR i.owner = $2::text
    OR (i.visibility = 'shared' AND EXISTS (SELECT 1 FROM ${s}.image_members m WHERE m.image_id = i.id AND m.member_id = $2::text AND NOT m.deleted)))`;

  return {
    /** Serialises the quota checks of one project ($1: `<schema>/<project>`) until the transaction ends. */
    lockProjectQuota: statement('lockProjectQuota', `SELECT pg_advisory_xact_lock(${QUOTA_LOCK_CLASS}, hashtext($1::text))`),
    /** The owner of a live image; no row when it is unknown or not live. */
    liveOwner: statement('liveOwner', `SELECT i.owner FROM ${s}.images i WHERE i.id = $1 AND ${liveWhere('i')}`),
    /** Quota usage, through the partial index of a project's live images (images_live_by_owner). */
    countLiveOwned: statement('countLiveOwned', `SELECT count(*) AS n FROM ${s}.images i WHERE i.owner = $1 AND ${liveWhere('i')}`),
    sizeOfOthersOwned: statement(
      'sizeOfOthersOwned',
      `SELECT coalesce(sum(i.size), 0) AS total FROM ${s}.images i WHERE i.owner = $1 AND i.id <> $2 AND ${liveWhere('i')}`,
    ),
    /** The marker's place in the listing order, if it is a live image the viewer ($1 all, $2 project) may see. */
    markerPlace: statement(
      'markerPlace',
      `SELECT i.created_at, i.seq FROM ${s}.images i WHERE i.id = $3 AND ${liveWhere('i')} AND ${visible}`,
    ),
    /** Every live image (no principal, or an admin), after ($1, $2), at most $3: the created_at index walked in order. */
    listLive: statement(
      'listLive',
      `${selectImage} WHERE ${liveWhere('i')} AND (i.created_at, i.seq) > ($1::timestamptz, $2::bigint) ORDER BY i.created_at, i.seq LIMIT $3`,
    ),
    /** The same with name $4: the name index walked in order. */
    listLiveByName: statement(
      'listLiveByName',
      `${selectImage} WHERE ${liveWhere('i')} AND i.name = $4 AND (i.created_at, i.seq) > ($1::timestamptz, $2::bigint)
       ORDER BY i.created_at, i.seq LIMIT $3`,
    ),
    /** What project $4 may see, after ($1, $2), at most $3 (`listVisibleSql`). */
    listVisible: statement('listVisible', listVisibleSql(s, selectImage, false)),
    /** The same with name $5. */
    listVisibleByName: statement('listVisibleByName', listVisibleSql(s, selectImage, true)),
    /**
     * One statement: the image, then its children only if the image row was inserted (an id
     * taken by any image, deleted or not, inserts nothing). Children arrive as parallel arrays.
     */
    createImage: statement(
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
    updateImage: statement(
      'updateImage',
      `UPDATE ${s}.images i SET name = CASE WHEN $2::boolean THEN $3::text ELSE i.name END, visibility = coalesce($4::text, i.visibility),
         protected = coalesce($5::boolean, i.protected), status = coalesce($6::text, i.status), updated_at = $7::timestamptz,
         row_version = i.row_version + 1
       WHERE i.id = $1 AND ${liveWhere('i')}
       RETURNING i.id`,
    ),
    /** Locks a live image for a change to its children (bumping `row_version`), without touching `updated_at`. */
    touchLiveImage: statement(
      'touchLiveImage',
      `UPDATE ${s}.images i SET row_version = i.row_version + 1 WHERE i.id = $1 AND ${liveWhere('i')} RETURNING i.id`,
    ),
    addMember: statement(
      'addMember',
      `INSERT INTO ${s}.image_members (image_id, member_id, status, position, created_at, updated_at)
       VALUES ($1, $2, 'pending', (SELECT coalesce(max(position) + 1, 0) FROM ${s}.image_members WHERE image_id = $1), $3::timestamptz, $3::timestamptz)
       ON CONFLICT DO NOTHING
       RETURNING member_id, status, created_at, updated_at`,
    ),
    selectMember: statement(
      'selectMember',
      `SELECT member_id, status, created_at, updated_at FROM ${s}.image_members WHERE image_id = $1 AND member_id = $2`,
    ),
    attachData: statement(
      'attachData',
      `UPDATE ${s}.images i SET size = $2, checksum = $3, os_hash_algo = $4, os_hash_value = $5, status = 'active', updated_at = $6::timestamptz,
         row_version = i.row_version + 1
       WHERE i.id = $1 AND ${liveWhere('i')}
       RETURNING i.id`,
    ),
    addLocation: statement(
      'addLocation',
      `INSERT INTO ${s}.image_locations (image_id, id, url, metadata, status, position)
       VALUES ($1, $2, $3, $4::jsonb, 'active', (SELECT coalesce(max(position) + 1, 0) FROM ${s}.image_locations WHERE image_id = $1))`,
    ),
  };
}

/**
 * One page of what project $4 may see, without walking what it may not: the union of four
 * branches, each an index walk in listing order that stops after $3 rows — the project's own
 * images (images_live_by_owner), public ones and community ones (images_live_by_visibility, one
 * branch per value so each keeps the index order), and shared images it is a live member of
 * (image_members_by_member, then each image by id and sorted: the work grows with the project's
 * memberships, never with the catalog. The LATERAL subquery's LIMIT 1 (an id is one image) keeps
 * PostgreSQL from flattening it or pushing the filters into it: the memberships stay the outer
 * loop and each image is found by its id, whatever the statistics say about shared images). An image
 * can be in two branches (an owner's public image): UNION keeps it once, and the first $3 of the
 * union are the page. With a name ($5), the `_name` indexes of version 5 serve the first three.
 */
export function listVisibleSql(s: string, selectImage: string, byName: boolean): string {
  const live = `${liveWhere('i')}${byName ? ' AND i.name = $5::text' : ''} AND (i.created_at, i.seq) > ($1::timestamptz, $2::bigint)`;
  const branch = (where: string) =>
    `(SELECT i.seq, i.created_at FROM ${s}.images i WHERE ${where} AND ${live} ORDER BY i.created_at, i.seq LIMIT $3)`;
  return `${selectImage} JOIN (
      ${branch('i.owner = $4::text')}
      UNION ${branch("i.visibility = 'public'")}
      UNION ${branch("i.visibility = 'community'")}
      UNION (SELECT i.seq, i.created_at FROM ${s}.image_members m
        CROSS JOIN LATERAL (SELECT * FROM ${s}.images i WHERE i.id = m.image_id LIMIT 1) i
        WHERE m.member_id = $4::text AND NOT m.deleted AND i.visibility = 'shared' AND ${live} ORDER BY i.created_at, i.seq LIMIT $3)
      ORDER BY created_at, seq LIMIT $3
    ) page ON page.seq = i.seq
    ORDER BY page.created_at, page.seq`;
}
