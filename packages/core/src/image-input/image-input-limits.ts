// What the catalog accepts: Glance v2's image schema limits and enumerations, in one table.
import { MAX_IMAGE_ID_LENGTH } from '../image/image-id.js';

/**
 * Longest value of each text field, in Unicode code points (Glance's JSON schema `maxLength`,
 * or its database column where the schema has none).
 */
export const IMAGE_INPUT_LIMITS = {
  /** Glance: the id column is 36 characters (a UUID); opaque id formats allow up to 255. */
  id: MAX_IMAGE_ID_LENGTH,
  /** Glance schema `name.maxLength`. */
  name: 255,
  /** Glance schema `owner.maxLength`. */
  owner: 255,
  /** Glance schema `checksum.maxLength` (an MD5 hex digest). */
  checksum: 32,
  /** Glance schema `os_hash_algo.maxLength`. */
  osHashAlgo: 64,
  /** Glance schema `os_hash_value.maxLength` (a SHA-512 hex digest). */
  osHashValue: 128,
  /** Glance schema `tags.items.maxLength`. */
  tag: 255,
  /** Glance refuses custom property names over 255 characters (LP #1737952). */
  propertyKey: 255,
  /** Glance stores property values in a `TEXT` column (65 535 bytes in MySQL). */
  propertyValue: 65_535,
  /** Glance's `image_members.member` column. */
  memberId: 255,
  /** Location ids are the service's own (UUIDs by default). */
  locationId: 255,
  /** Locations are written by the service (its data store), not by clients: a generous bound. */
  locationUrl: 2048,
} as const;

/** `min_disk` and `min_ram` are Glance `Integer` columns: 0 to 2³¹ − 1. */
export const MAX_MIN_DISK_OR_RAM = 2_147_483_647;

/** Glance's default `[image_format] disk_formats`. */
export const GLANCE_DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
export type DiskFormat = (typeof GLANCE_DISK_FORMATS)[number];

/** Glance's default `[image_format] container_formats`. */
export const GLANCE_CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export type ContainerFormat = (typeof GLANCE_CONTAINER_FORMATS)[number];
