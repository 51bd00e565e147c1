// PostgreSQL's side of the row mapping: the one-statement image SELECT (children as json_agg) and its row_version.
import { IMAGE_COLUMNS, type ImageRow } from '@image-catalog/sql-kit';

/** The image row as this adapter reads it: sql-kit's `ImageRow` plus the version the delete is guarded by. */
export interface PgImageRow extends ImageRow {
  /** Kept as the string node-postgres hands out (`bigint`), and passed back as one. */
  readonly row_version: string;
}

/** SQL condition for a live image row of alias `alias`, the same rule as core's `isLive`. */
export function liveWhere(alias: string): string {
  return `NOT ${alias}.deleted AND ${alias}.status NOT IN ('deleted', 'pending_delete')`;
}

/** A comma-separated column list (`JOB_COLUMNS`, `EVENT_COLUMNS`, ...) qualified with `alias`, for statements that join. */
export function qualified(columns: string | readonly string[], alias: string): string {
  return (typeof columns === 'string' ? columns.split(', ') : columns).map((c) => `${alias}.${c}`).join(', ');
}

/**
 * The children of image `i`. A delete never writes them: the image row's state decides how they
 * read (`toImage`), and whether anyone but `findById` of that image sees them (listings only list
 * live images). The purge removes those of finally deleted images.
 */
const childOf = (alias: string) => `${alias}.image_id = i.id AND NOT ${alias}.deleted`;

/**
 * Reads an image with all its children in one statement: one round trip and one consistent
 * snapshot. `s` is the quoted schema. Callers append `WHERE ...`.
 */
export function selectImageSql(s: string): string {
  return `
SELECT ${qualified(IMAGE_COLUMNS, 'i')}, i.row_version,
  coalesce((SELECT json_agg(t.value ORDER BY t.position) FROM ${s}.image_tags t WHERE ${childOf('t')}), '[]') AS tags,
  coalesce((SELECT json_object_agg(p.name, p.value ORDER BY p.position) FROM ${s}.image_properties p WHERE ${childOf('p')}), '{}') AS properties,
  coalesce((SELECT json_agg(json_build_array(m.member_id, m.status, m.created_at, m.updated_at) ORDER BY m.position)
     FROM ${s}.image_members m WHERE ${childOf('m')}), '[]') AS members,
  coalesce((SELECT json_agg(json_build_array(l.id, l.url, l.metadata, l.status) ORDER BY l.position)
     FROM ${s}.image_locations l WHERE ${childOf('l')}), '[]') AS locations
FROM ${s}.images i`;
}
