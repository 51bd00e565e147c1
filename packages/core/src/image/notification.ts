// The image as Glance formats it in notifications (`image.delete` payload): never its locations.
import type { Image } from './image.js';

/** Glance notification payload for an image (glance/notifier.py `format_image_notification`). */
export interface ImageNotificationPayload {
  readonly id: string;
  readonly name: string | null;
  readonly status: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly min_disk: number;
  readonly min_ram: number;
  readonly protected: boolean;
  readonly checksum: string | null;
  readonly owner: string | null;
  readonly disk_format: string | null;
  readonly container_format: string | null;
  readonly size: number | null;
  readonly virtual_size: number | null;
  readonly is_public: boolean;
  readonly visibility: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  readonly deleted: boolean;
  readonly deleted_at: string | null;
}

/** ISO 8601 in UTC without fractional seconds, as Glance's `isotime` prints it. */
export function isoTime(date: Date): string {
  const iso = date.toISOString(); // always ends in `.sssZ`, whatever the year's width
  return `${iso.slice(0, -5)}Z`;
}

export function toNotificationPayload(image: Image): ImageNotificationPayload {
  const updatedAt = isoTime(image.updatedAt);
  // A delete stamps both with the same instant: format it once.
  const deletedAt =
    image.deletedAt === null ? null : image.deletedAt.getTime() === image.updatedAt.getTime() ? updatedAt : isoTime(image.deletedAt);
  return {
    id: image.id,
    name: image.name,
    status: image.status,
    created_at: isoTime(image.createdAt),
    updated_at: updatedAt,
    min_disk: image.minDisk,
    min_ram: image.minRam,
    protected: image.protected,
    checksum: image.checksum,
    owner: image.owner,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    size: image.size,
    virtual_size: image.virtualSize,
    is_public: image.visibility === 'public',
    visibility: image.visibility,
    properties: { ...image.properties },
    tags: [...image.tags],
    deleted: image.deleted,
    deleted_at: deletedAt,
  };
}
