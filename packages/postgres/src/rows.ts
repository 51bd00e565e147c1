// How rows are read and turned into the core model: one SELECT per image, children aggregated as JSON.
import type {
  DataDeletionJob,
  DataDeletionJobState,
  Image,
  ImageLocation,
  ImageMember,
  ImageNotificationPayload,
  ImageStatus,
  ImageVisibility,
  LocationStatus,
  MemberStatus,
  OutboxEvent,
  OutboxEventType,
} from '@image-catalog/core';

/** SQL condition for a live image row of alias `alias`, the same rule as core's `isLive`. */
export function liveWhere(alias: string): string {
  return `NOT ${alias}.deleted AND ${alias}.status NOT IN ('deleted', 'pending_delete')`;
}

/**
 * Children that belong to the image as it reads now: live rows of a live image, or the rows its
 * delete cascaded (same `deleted_at`) for a deleted one.
 */
const childOf = (alias: string) => `${alias}.image_id = i.id AND (NOT ${alias}.deleted OR ${alias}.deleted_at = i.deleted_at)`;

/**
 * Reads an image with all its children in one statement: one round trip and one consistent
 * snapshot. `s` is the quoted schema. Callers append `WHERE ...`.
 */
export function selectImageSql(s: string): string {
  return `
SELECT i.id, i.name, i.owner, i.status, i.visibility, i.protected, i.size, i.virtual_size, i.checksum,
  i.os_hash_algo, i.os_hash_value, i.disk_format, i.container_format, i.min_disk, i.min_ram,
  i.created_at, i.updated_at, i.deleted, i.deleted_at, i.row_version,
  coalesce((SELECT json_agg(t.value ORDER BY t.position) FROM ${s}.image_tags t WHERE ${childOf('t')}), '[]') AS tags,
  coalesce((SELECT json_object_agg(p.name, p.value ORDER BY p.position) FROM ${s}.image_properties p WHERE ${childOf('p')}), '{}') AS properties,
  coalesce((SELECT json_agg(json_build_array(m.member_id, m.status, m.created_at, m.updated_at) ORDER BY m.position)
     FROM ${s}.image_members m WHERE ${childOf('m')}), '[]') AS members,
  coalesce((SELECT json_agg(json_build_array(l.id, l.url, l.metadata, l.status) ORDER BY l.position)
     FROM ${s}.image_locations l WHERE ${childOf('l')}), '[]') AS locations
FROM ${s}.images i`;
}

export interface ImageRow {
  readonly id: string;
  readonly name: string | null;
  readonly owner: string | null;
  readonly status: ImageStatus;
  readonly visibility: ImageVisibility;
  readonly protected: boolean;
  /** `bigint` columns arrive as strings from node-postgres. */
  readonly size: string | null;
  readonly virtual_size: string | null;
  readonly checksum: string | null;
  readonly os_hash_algo: string | null;
  readonly os_hash_value: string | null;
  readonly disk_format: string | null;
  readonly container_format: string | null;
  readonly min_disk: number;
  readonly min_ram: number;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly deleted: boolean;
  readonly deleted_at: Date | null;
  /** Kept as the string node-postgres hands out, and passed back as one. */
  readonly row_version: string;
  readonly tags: string[];
  readonly properties: Record<string, string>;
  /** [member_id, status, created_at (ISO), updated_at (ISO)] */
  readonly members: [string, MemberStatus, string, string][];
  /** [id, url, metadata, status] */
  readonly locations: [string, string, Record<string, string>, LocationStatus][];
}

function bigintOrNull(value: string | number | null): number | null {
  return value === null ? null : Number(value);
}

/**
 * node-postgres parses `timestamptz` to `Date` and `json`/`jsonb` to values by default; a host
 * may have replaced those parsers globally (`pg.types.setTypeParser`), so both shapes are accepted.
 */
export function asDate(value: Date | string | number): Date {
  return value instanceof Date ? value : new Date(value);
}

function asDateOrNull(value: Date | string | number | null): Date | null {
  return value === null ? null : asDate(value);
}

function asJson<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

export function toImage(row: ImageRow): Image {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    status: row.status,
    visibility: row.visibility,
    protected: row.protected,
    size: bigintOrNull(row.size),
    virtualSize: bigintOrNull(row.virtual_size),
    checksum: row.checksum,
    osHashAlgo: row.os_hash_algo,
    osHashValue: row.os_hash_value,
    diskFormat: row.disk_format,
    containerFormat: row.container_format,
    minDisk: row.min_disk,
    minRam: row.min_ram,
    tags: asJson(row.tags),
    properties: asJson(row.properties),
    members: asJson(row.members).map(
      ([memberId, status, createdAt, updatedAt]): ImageMember => ({ memberId, status, createdAt: new Date(createdAt), updatedAt: new Date(updatedAt) }),
    ),
    locations: asJson(row.locations).map(([id, url, metadata, status]): ImageLocation => ({ id, url, metadata, status })),
    createdAt: asDate(row.created_at),
    updatedAt: asDate(row.updated_at),
    deleted: row.deleted,
    deletedAt: asDateOrNull(row.deleted_at),
  };
}

export const JOB_COLUMNS = 'seq, id, image_id, location_id, url, state, attempts, available_at, last_error, created_at, updated_at';

export interface JobRow {
  readonly seq: string;
  readonly id: string;
  readonly image_id: string;
  readonly location_id: string;
  readonly url: string;
  readonly state: DataDeletionJobState;
  readonly attempts: number;
  readonly available_at: Date;
  readonly last_error: string | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

export function toJob(row: JobRow): DataDeletionJob {
  return {
    id: row.id,
    imageId: row.image_id,
    locationId: row.location_id,
    url: row.url,
    state: row.state,
    attempts: row.attempts,
    availableAt: asDate(row.available_at),
    lastError: row.last_error,
    createdAt: asDate(row.created_at),
    updatedAt: asDate(row.updated_at),
  };
}

export const EVENT_COLUMNS = 'seq, id, type, image_id, payload, occurred_at, delivered_at, attempts';

export interface EventRow {
  readonly seq: string;
  readonly id: string;
  readonly type: OutboxEventType;
  readonly image_id: string;
  readonly payload: ImageNotificationPayload;
  readonly occurred_at: Date;
  readonly delivered_at: Date | null;
  readonly attempts: number;
}

export function toEvent(row: EventRow): OutboxEvent {
  return {
    id: row.id,
    type: row.type,
    imageId: row.image_id,
    payload: asJson(row.payload),
    occurredAt: asDate(row.occurred_at),
    deliveredAt: asDateOrNull(row.delivered_at),
    attempts: row.attempts,
  };
}

/** `seq` arrives as a string (bigint); compared as a BigInt so ordering never depends on its length. */
function bySeqValue(a: { readonly seq: string }, b: { readonly seq: string }): number {
  const x = BigInt(a.seq);
  const y = BigInt(b.seq);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** UPDATE ... RETURNING hands rows back in no promised order; the ports promise commit order. */
export function bySeq<T extends { readonly seq: string }>(rows: T[]): T[] {
  return rows.sort(bySeqValue);
}

/** Jobs oldest first: by creation time, then insertion order. */
export function oldestFirst<T extends { readonly created_at: Date; readonly seq: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => asDate(a.created_at).getTime() - asDate(b.created_at).getTime() || bySeqValue(a, b));
}
