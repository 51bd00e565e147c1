// SQLite's own SQL for reading images: the live condition and the one-statement image SELECT (children as JSON).
import { IMAGE_COLUMNS } from '@image-catalog/sql-kit';

/**
 * SQL condition for a live image row of table alias `alias`. `deleted = 0` selects the partial
 * indexes; the status test keeps the rule identical to core's `isLive`.
 */
export function liveWhere(alias: string): string {
  return `${alias}.deleted = 0 AND ${alias}.status NOT IN ('deleted', 'pending_delete')`;
}

/**
 * The children of image `i`. A delete never writes them: the image row's state decides how they
 * read (`toImage`), and whether anyone but `findById` of that image sees them (listings only
 * list live images). The purge removes those of finally deleted images.
 */
const CHILD_OF = (alias: string) => `${alias}.image_id = i.id AND ${alias}.deleted = 0`;

/**
 * One statement reads an image with all its children, so a read is a single consistent snapshot
 * and a lookup costs one round trip into SQLite instead of five. Its rows are sql-kit `ImageRow`s
 * (integers, epoch milliseconds, JSON text), read with `toImage`.
 */
export const SELECT_IMAGE = `
SELECT ${IMAGE_COLUMNS.map((column) => `i.${column}`).join(', ')},
  (SELECT json_group_array(t.value ORDER BY t.position) FROM image_tags t WHERE ${CHILD_OF('t')}) AS tags,
  (SELECT json_group_object(p.name, p.value ORDER BY p.position) FROM image_properties p WHERE ${CHILD_OF('p')}) AS properties,
  (SELECT json_group_array(json_array(m.member_id, m.status, m.created_at, m.updated_at) ORDER BY m.position)
     FROM image_members m WHERE ${CHILD_OF('m')}) AS members,
  (SELECT json_group_array(json_array(l.id, l.url, json(l.metadata), l.status) ORDER BY l.position)
     FROM image_locations l WHERE ${CHILD_OF('l')}) AS locations
FROM images i`;
