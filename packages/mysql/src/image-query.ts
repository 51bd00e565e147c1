// The one statement that reads images with all their children (four JSON aggregates, in position order), mapped by sql-kit's toImage.
import type { Image } from '@image-catalog/core';
import type { UnknownMarker } from '@image-catalog/core/authoring';
import { IMAGE_COLUMNS, toImage, type ImageRow } from '@image-catalog/sql-kit';
import type { Sql } from './mysql-connection.js';

/**
 * The children of image `i`. A delete never writes them: the image row's state decides how they
 * read (`toImage`), and whether anyone but `findById` of that image sees them (listings only list
 * live images). The purge removes those of finally deleted images.
 */
const belongs = (alias: string) => `${alias}.image_id = i.id AND ${alias}.deleted = FALSE`;

// MariaDB's JSON_ARRAYAGG takes an ORDER BY (10.5+); JSON_OBJECTAGG needs none (an object has no order).
// Both are built on GROUP_CONCAT, so one image's aggregate is capped by group_concat_max_len (1 MiB by default).
const IMAGE_SELECT = `SELECT ${IMAGE_COLUMNS.map((column) => `i.${column}`).join(', ')},
  (SELECT JSON_ARRAYAGG(t.value ORDER BY t.position) FROM image_tags t WHERE ${belongs('t')}) AS tags,
  (SELECT JSON_OBJECTAGG(p.name, p.value) FROM image_properties p WHERE ${belongs('p')}) AS properties,
  (SELECT JSON_ARRAYAGG(JSON_ARRAY(m.member_id, m.status, m.created_at, m.updated_at) ORDER BY m.position)
     FROM image_members m WHERE ${belongs('m')}) AS members,
  (SELECT JSON_ARRAYAGG(JSON_ARRAY(l.id, l.url, l.metadata, l.status) ORDER BY l.position)
     FROM image_locations l WHERE ${belongs('l')}) AS locations
FROM images i`;

/** The image with this id, whatever its status, or `null`. */
export async function selectImage(sql: Sql, imageId: string): Promise<Image | null> {
  const [row] = await sql.rows<ImageRow>(`${IMAGE_SELECT} WHERE i.id = ?`, [imageId]);
  return row === undefined ? null : toImage(row);
}

/** `isImageVisibleTo` in SQL, over two parameters: every live image (no principal, or an admin), else by the caller's project. */
const VISIBLE = `(? OR i.visibility IN ('public', 'community') OR i.owner = ?
  OR (i.visibility = 'shared' AND EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member_id = ? AND m.deleted = FALSE)))`;

/**
 * One page of live images the viewer may see, oldest first (created_at, then seq), optionally
 * with exactly this name, after the marker; `UnknownMarker` when the marker is not a live image
 * the viewer may see. The place after the marker is written so the created_at indexes bound the scan.
 */
export async function selectLiveImages(
  sql: Sql,
  query: {
    readonly name?: string;
    readonly limit: number;
    readonly marker?: string;
    readonly all: boolean;
    readonly project: string | null;
  },
): Promise<Image[] | UnknownMarker> {
  const visible = [query.all, query.project, query.project];
  let after = { created_at: Number.MIN_SAFE_INTEGER, seq: 0 };
  if (query.marker !== undefined) {
    const [place] = await sql.rows<{ created_at: number; seq: number }>(
      `SELECT i.created_at, i.seq FROM images i WHERE i.id = ? AND i.deleted = FALSE AND i.status NOT IN ('deleted', 'pending_delete') AND ${VISIBLE}`,
      [query.marker, ...visible],
    );
    if (place === undefined) return { kind: 'UnknownMarker', marker: query.marker };
    after = { created_at: Number(place.created_at), seq: Number(place.seq) };
  }
  const named = query.name === undefined ? '' : ' AND i.name = ?';
  const where = `i.deleted = FALSE AND i.status NOT IN ('deleted', 'pending_delete')${named} AND i.created_at >= ? AND (i.created_at > ? OR i.seq > ?)`;
  const whereValues = [...(query.name === undefined ? [] : [query.name]), after.created_at, after.created_at, after.seq];
  // Every live image (no principal, or an admin): the created_at (or name) index walked in order.
  const { statement, values } = query.all
    ? { statement: `${IMAGE_SELECT} WHERE ${where} ORDER BY i.created_at, i.seq LIMIT ?`, values: [...whereValues, query.limit] }
    : visibleToProject(query.name !== undefined, where, whereValues, query.project, query.limit);
  return (await sql.rows<ImageRow>(statement, values)).map(toImage);
}

/**
 * One page of what `project` may see, without walking what it may not: the union of four
 * branches, each an index walk in listing order (created_at, then the primary key seq, which
 * InnoDB appends to every secondary index) that stops after `limit` rows — the project's own
 * images (images_live_by_owner), public ones and community ones (images_live_by_visibility, one
 * branch per value so each keeps the index order), and shared images it is a live member of
 * (image_members_by_member, then each image by id and sorted: the work grows with the project's
 * memberships, never with the catalog; STRAIGHT_JOIN keeps the memberships the outer loop). An
 * image can be in two branches (an owner's public image): UNION keeps it once. With a name, the
 * `_name` indexes of version 4 serve the first three branches the same way.
 */
function visibleToProject(
  named: boolean,
  where: string,
  whereValues: readonly unknown[],
  project: string | null,
  limit: number,
): { statement: string; values: unknown[] } {
  const branch = (from: string, condition: string) =>
    `(SELECT i.seq, i.created_at FROM ${from} WHERE ${condition} AND ${where} ORDER BY i.created_at, i.seq LIMIT ?)`;
  // Named: the optimizer would take any index with the right prefix and sort what it finds.
  const suffix = named ? '_name' : '';
  const statement = `${IMAGE_SELECT} JOIN (
      ${branch(`images i FORCE INDEX (images_live_by_owner${suffix})`, 'i.owner = ?')}
      UNION ${branch(`images i FORCE INDEX (images_live_by_visibility${suffix})`, "i.visibility = 'public'")}
      UNION ${branch(`images i FORCE INDEX (images_live_by_visibility${suffix})`, "i.visibility = 'community'")}
      UNION ${branch('image_members m STRAIGHT_JOIN images i FORCE INDEX (images_id) ON i.id = m.image_id', "m.member_id = ? AND m.deleted = FALSE AND i.visibility = 'shared'")}
      ORDER BY created_at, seq LIMIT ?
    ) page ON page.seq = i.seq
    ORDER BY page.created_at, page.seq`;
  const values = [project, ...whereValues, limit, ...whereValues, limit, ...whereValues, limit, project, ...whereValues, limit, limit];
  return { statement, values };
}
