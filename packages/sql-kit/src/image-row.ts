// The image row as every SQL adapter reads it (children aggregated into JSON columns) and its mapping to core's Image.
import {
  locationStatusOn,
  type Image,
  type ImageLocation,
  type ImageMember,
  type ImageStatus,
  type ImageVisibility,
  type LocationStatus,
  type MemberStatus,
} from '@image-catalog/core';
import {
  asBoolean,
  asDate,
  asDateOrNull,
  asInteger,
  asIntegerOrNull,
  asJson,
  type BooleanColumn,
  type IntegerColumn,
  type JsonColumn,
  type TimeColumn,
} from './column-values.js';

/**
 * One image with its children, as one SELECT returns it: the `images` columns plus four JSON
 * aggregates. A delete never writes the children; the image row's state decides how they read
 * (`toImage`), until the purge removes those of a finally deleted image.
 */
export interface ImageRow {
  readonly id: string;
  readonly name: string | null;
  readonly owner: string | null;
  readonly status: ImageStatus;
  readonly visibility: ImageVisibility;
  readonly protected: BooleanColumn;
  readonly size: IntegerColumn | null;
  readonly virtual_size: IntegerColumn | null;
  readonly checksum: string | null;
  readonly os_hash_algo: string | null;
  readonly os_hash_value: string | null;
  readonly disk_format: string | null;
  readonly container_format: string | null;
  readonly min_disk: IntegerColumn;
  readonly min_ram: IntegerColumn;
  readonly created_at: TimeColumn;
  readonly updated_at: TimeColumn;
  readonly deleted: BooleanColumn;
  readonly deleted_at: TimeColumn | null;
  /** JSON array of tag values, in position order (`null` for none: some aggregates give NULL on no rows). */
  readonly tags: JsonColumn<readonly string[]> | null;
  /** JSON object name → value. */
  readonly properties: JsonColumn<Readonly<Record<string, string>>> | null;
  /** JSON array of `[member_id, status, created_at, updated_at]`, times as in `TimeColumn`. */
  readonly members: JsonColumn<readonly (readonly [string, MemberStatus, TimeColumn, TimeColumn])[]> | null;
  /** JSON array of `[id, url, metadata, status]` with the stored status; metadata an object or its JSON text. */
  readonly locations: JsonColumn<
    readonly (readonly [string, string, JsonColumn<Readonly<Record<string, string>>>, LocationStatus])[]
  > | null;
}

/** The column list of `images` in `ImageRow` order, for SELECTs (prefix with the table alias as needed). */
export const IMAGE_COLUMNS = [
  'id',
  'name',
  'owner',
  'status',
  'visibility',
  'protected',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'disk_format',
  'container_format',
  'min_disk',
  'min_ram',
  'created_at',
  'updated_at',
  'deleted',
  'deleted_at',
] as const;

/**
 * The row as core's `Image`. Locations read through the image's state (`locationStatusOn`): a
 * deleted image's `active` locations read `pending_delete`.
 */
export function toImage(row: ImageRow): Image {
  const deleted = asBoolean(row.deleted);
  const members = (asJson(row.members ?? '[]') ?? []).map(([memberId, status, createdAt, updatedAt]): ImageMember => ({
    memberId,
    status,
    createdAt: asDate(createdAt),
    updatedAt: asDate(updatedAt),
  }));
  const locations = (asJson(row.locations ?? '[]') ?? []).map(([id, url, metadata, status]): ImageLocation => ({
    id,
    url,
    metadata: { ...asJson(metadata) },
    status: locationStatusOn({ deleted }, status),
  }));
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    status: row.status,
    visibility: row.visibility,
    protected: asBoolean(row.protected),
    size: asIntegerOrNull(row.size),
    virtualSize: asIntegerOrNull(row.virtual_size),
    checksum: row.checksum,
    osHashAlgo: row.os_hash_algo,
    osHashValue: row.os_hash_value,
    diskFormat: row.disk_format,
    containerFormat: row.container_format,
    minDisk: asInteger(row.min_disk),
    minRam: asInteger(row.min_ram),
    tags: [...(asJson(row.tags ?? '[]') ?? [])],
    properties: { ...(asJson(row.properties ?? '{}') ?? {}) },
    members,
    locations,
    createdAt: asDate(row.created_at),
    updatedAt: asDate(row.updated_at),
    deleted,
    deletedAt: asDateOrNull(row.deleted_at),
  };
}

/** Core's `isLive` on the raw row, for adapters that check before mapping. */
export function isLiveRow(row: Pick<ImageRow, 'deleted' | 'status'>): boolean {
  return !asBoolean(row.deleted) && row.status !== 'deleted' && row.status !== 'pending_delete';
}
