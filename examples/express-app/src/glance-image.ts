// Formats an image the way Glance v2's API does (GET /v2/images/{id}), for the fixture endpoints.
import { isoTime, type Image } from '@image-catalog/core';

/** Glance v2 image JSON: the core fields, then custom properties at the top level. */
export function toGlanceImage(image: Image): Record<string, unknown> {
  return {
    ...image.properties,
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: false,
    checksum: image.checksum,
    os_hash_algo: image.osHashAlgo,
    os_hash_value: image.osHashValue,
    owner: image.owner,
    size: image.size,
    virtual_size: image.virtualSize,
    min_ram: image.minRam,
    min_disk: image.minDisk,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    created_at: isoTime(image.createdAt),
    updated_at: isoTime(image.updatedAt),
    tags: [...image.tags],
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  };
}

/** Fields of an image a client cannot set as free-form properties on create. */
export const RESERVED_IMAGE_FIELDS: ReadonlySet<string> = new Set([
  'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum', 'os_hash_algo', 'os_hash_value',
  'owner', 'size', 'virtual_size', 'min_ram', 'min_disk', 'disk_format', 'container_format', 'created_at',
  'updated_at', 'tags', 'self', 'file', 'schema', 'locations', 'direct_url', 'deleted', 'deleted_at', 'stores',
]);
