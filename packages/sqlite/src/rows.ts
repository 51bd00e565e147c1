// How rows are read and turned into the core model: one SELECT per image, children as JSON.
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

/**
 * SQL condition for a live image row of table alias `alias`. `deleted = 0` selects the partial
 * indexes; the status test keeps the rule identical to core's `isLive`.
 */
export function liveWhere(alias: string): string {
  return `${alias}.deleted = 0 AND ${alias}.status NOT IN ('deleted', 'pending_delete')`;
}

/**
 * Children that belong to the image as it reads now: live rows of a live image, or the rows its
 * delete cascaded (same `deleted_at`) for a deleted one.
 */
const CHILD_OF = (alias: string) => `${alias}.image_id = i.id AND (${alias}.deleted = 0 OR ${alias}.deleted_at = i.deleted_at)`;

/**
 * One statement reads an image with all its children, so a read is a single consistent snapshot
 * and a lookup costs one round trip into SQLite instead of five.
 */
export const SELECT_IMAGE = `
SELECT i.id, i.name, i.owner, i.status, i.visibility, i.protected, i.size, i.virtual_size, i.checksum,
  i.os_hash_algo, i.os_hash_value, i.disk_format, i.container_format, i.min_disk, i.min_ram,
  i.created_at, i.updated_at, i.deleted, i.deleted_at,
  (SELECT json_group_array(t.value ORDER BY t.position) FROM image_tags t WHERE ${CHILD_OF('t')}) AS tags,
  (SELECT json_group_object(p.name, p.value ORDER BY p.position) FROM image_properties p WHERE ${CHILD_OF('p')}) AS properties,
  (SELECT json_group_array(json_array(m.member_id, m.status, m.created_at, m.updated_at) ORDER BY m.position)
     FROM image_members m WHERE ${CHILD_OF('m')}) AS members,
  (SELECT json_group_array(json_array(l.id, l.url, json(l.metadata), l.status) ORDER BY l.position)
     FROM image_locations l WHERE ${CHILD_OF('l')}) AS locations
FROM images i`;

export interface ImageRow {
  readonly id: string;
  readonly name: string | null;
  readonly owner: string | null;
  readonly status: ImageStatus;
  readonly visibility: ImageVisibility;
  readonly protected: 0 | 1;
  readonly size: number | null;
  readonly virtual_size: number | null;
  readonly checksum: string | null;
  readonly os_hash_algo: string | null;
  readonly os_hash_value: string | null;
  readonly disk_format: string | null;
  readonly container_format: string | null;
  readonly min_disk: number;
  readonly min_ram: number;
  readonly created_at: number;
  readonly updated_at: number;
  readonly deleted: 0 | 1;
  readonly deleted_at: number | null;
  /** JSON array of tag values. */
  readonly tags: string;
  /** JSON object name → value. */
  readonly properties: string;
  /** JSON array of [member_id, status, created_at, updated_at]. */
  readonly members: string;
  /** JSON array of [id, url, metadata, status]. */
  readonly locations: string;
}

export function toImage(row: ImageRow): Image {
  const members = (JSON.parse(row.members) as [string, MemberStatus, number, number][]).map(
    ([memberId, status, createdAt, updatedAt]): ImageMember => ({
      memberId,
      status,
      createdAt: new Date(createdAt),
      updatedAt: new Date(updatedAt),
    }),
  );
  const locations = (JSON.parse(row.locations) as [string, string, Record<string, string>, LocationStatus][]).map(
    ([id, url, metadata, status]): ImageLocation => ({ id, url, metadata, status }),
  );
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    status: row.status,
    visibility: row.visibility,
    protected: row.protected === 1,
    size: row.size,
    virtualSize: row.virtual_size,
    checksum: row.checksum,
    osHashAlgo: row.os_hash_algo,
    osHashValue: row.os_hash_value,
    diskFormat: row.disk_format,
    containerFormat: row.container_format,
    minDisk: row.min_disk,
    minRam: row.min_ram,
    tags: JSON.parse(row.tags) as string[],
    properties: JSON.parse(row.properties) as Record<string, string>,
    members,
    locations,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    deleted: row.deleted === 1,
    deletedAt: row.deleted_at === null ? null : new Date(row.deleted_at),
  };
}

/** Same rule as core's `isLive`, on the raw row. */
export function isLiveRow(row: Pick<ImageRow, 'deleted' | 'status'>): boolean {
  return row.deleted === 0 && row.status !== 'deleted' && row.status !== 'pending_delete';
}

export interface JobRow {
  readonly seq: number;
  readonly id: string;
  readonly image_id: string;
  readonly location_id: string;
  readonly url: string;
  readonly state: DataDeletionJobState;
  readonly attempts: number;
  readonly available_at: number;
  readonly last_error: string | null;
  readonly created_at: number;
  readonly updated_at: number;
}

export const JOB_COLUMNS = 'seq, id, image_id, location_id, url, state, attempts, available_at, last_error, created_at, updated_at';

export function toJob(row: JobRow): DataDeletionJob {
  return {
    id: row.id,
    imageId: row.image_id,
    locationId: row.location_id,
    url: row.url,
    state: row.state,
    attempts: row.attempts,
    availableAt: new Date(row.available_at),
    lastError: row.last_error,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export interface EventRow {
  readonly seq: number;
  readonly id: string;
  readonly type: OutboxEventType;
  readonly image_id: string;
  readonly payload: string;
  readonly occurred_at: number;
  readonly delivered_at: number | null;
  readonly attempts: number;
}

export const EVENT_COLUMNS = 'seq, id, type, image_id, payload, occurred_at, delivered_at, attempts';

export function toEvent(row: EventRow): OutboxEvent {
  return {
    id: row.id,
    type: row.type,
    imageId: row.image_id,
    payload: JSON.parse(row.payload) as ImageNotificationPayload,
    occurredAt: new Date(row.occurred_at),
    deliveredAt: row.delivered_at === null ? null : new Date(row.delivered_at),
    attempts: row.attempts,
  };
}

/** RETURNING hands rows back in no promised order; ports promise oldest first. */
export function bySeq<T extends { readonly seq: number }>(rows: T[]): T[] {
  return rows.sort((a, b) => a.seq - b.seq);
}

/** Jobs oldest first: by creation time, then commit order (a later commit may carry an earlier clock). */
export function oldestFirst<T extends { readonly created_at: number; readonly seq: number }>(rows: T[]): T[] {
  return rows.sort((a, b) => a.created_at - b.created_at || a.seq - b.seq);
}
