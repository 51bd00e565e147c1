// The image catalog's domain model: an image record as the catalog stores it.

/** Every status an image can be in (Glance v2). */
export const IMAGE_STATUSES = [
  'queued',
  'saving',
  'uploading',
  'importing',
  'active',
  'killed',
  'deactivated',
  'deleted',
  'pending_delete',
] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** Statuses from which an image may be deleted; `deleted` and `pending_delete` are already gone. */
export const DELETABLE_STATUSES = [
  'queued',
  'saving',
  'uploading',
  'importing',
  'active',
  'killed',
  'deactivated',
] as const satisfies readonly ImageStatus[];

export const IMAGE_VISIBILITIES = ['public', 'private', 'shared', 'community'] as const;
export type ImageVisibility = (typeof IMAGE_VISIBILITIES)[number];

/** Every status an image member can be in. */
export const MEMBER_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A project an image is shared with. */
export interface ImageMember {
  readonly memberId: string;
  readonly status: MemberStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type LocationStatus = 'active' | 'pending_delete' | 'deleted';

/**
 * How a stored location status reads on its image. A delete does not touch the locations: while
 * the image is deleted (`deleted` or `pending_delete`), a location stored `active` reads
 * `pending_delete` (its data is still to be removed); `complete` of its job stores `deleted`.
 * A restore makes the image live again, and with it the location `active`.
 */
export function locationStatusOn(image: Pick<Image, 'deleted'>, stored: LocationStatus): LocationStatus {
  return image.deleted && stored === 'active' ? 'pending_delete' : stored;
}

/** Where an image's data lives, e.g. `file:///var/lib/images/<id>`. Never part of an event. */
export interface ImageLocation {
  readonly id: string;
  readonly url: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly status: LocationStatus;
}

/** An image record. Timestamps are `Date`s; adapters serialise them. */
export interface Image {
  readonly id: string;
  readonly name: string | null;
  /** Owning project id; `null` for an image without owner (only an admin can delete it). */
  readonly owner: string | null;
  readonly status: ImageStatus;
  readonly visibility: ImageVisibility;
  readonly protected: boolean;
  readonly size: number | null;
  readonly virtualSize: number | null;
  readonly checksum: string | null;
  readonly osHashAlgo: string | null;
  readonly osHashValue: string | null;
  readonly diskFormat: string | null;
  readonly containerFormat: string | null;
  readonly minDisk: number;
  readonly minRam: number;
  readonly tags: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly members: readonly ImageMember[];
  readonly locations: readonly ImageLocation[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deleted: boolean;
  readonly deletedAt: Date | null;
}

/** An image is live while it has not been deleted or scheduled for deletion. */
export function isLive(image: Pick<Image, 'status' | 'deleted'>): boolean {
  return !image.deleted && image.status !== 'deleted' && image.status !== 'pending_delete';
}
