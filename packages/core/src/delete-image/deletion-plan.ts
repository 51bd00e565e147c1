// The pure planning of a delete: from the image as read in the store's transaction to what to commit.
import { locationStatusOn, type Image, type ImageLocation } from '../image/image.js';
import { toNotificationPayload } from '../image/notification.js';
import type { DataDeletionJob } from '../ports/data-deletion-job-queue.port.js';
import type { OutboxEvent } from '../ports/event-outbox.port.js';

/** What the use case fixes before the transaction: time, mode and ids. */
export interface DeletionPlanSettings {
  /** `deleted_at` and `updated_at` of the image, and the time of every row the delete writes. */
  readonly now: Date;
  /** Delayed-delete mode: an image with data goes to `pending_delete` instead of `deleted`. */
  readonly delayed: boolean;
  /** When the data-deletion jobs become due for the scrubber (after the inline lease, or the delay). */
  readonly jobsDueAt: Date;
  /** Id of the `image.delete` outbox event (stable, so consumers can drop duplicates). */
  readonly eventId: string;
  /** Ids of the data-deletion jobs, one call per job. */
  readonly newJobId: () => string;
}

/**
 * Everything a store writes for one delete, in one transaction:
 * - the image row: `status`, `deleted: true`, `deletedAt`, `updatedAt` as in `image`;
 * - one data-deletion job per active location (`jobs`, in the order of the locations);
 * - one `image.delete` outbox event (`event`).
 * `image` is the image as it reads once committed: its active locations read `pending_delete`
 * (`locationStatusOn`). A store writes only the image row, the jobs and the event: the
 * properties, tags, members and locations stay as they are, and the image's state alone decides
 * how they read. So the rows a delete writes do not depend on how many children the image has.
 */
export interface DeletionPlan {
  readonly image: Image & { readonly status: 'deleted' | 'pending_delete'; readonly deletedAt: Date };
  readonly jobs: readonly DataDeletionJob[];
  readonly event: OutboxEvent;
}

/** Plans the delete of a live image. Pure but for `newJobId`; the result shares no object with its inputs. */
export function planDeletion(image: Image, settings: DeletionPlanSettings): DeletionPlan {
  const at = settings.now.getTime();
  const dueAt = settings.jobsDueAt.getTime();
  const active = image.locations.filter((l) => l.status === 'active');
  const status = settings.delayed && active.length > 0 ? 'pending_delete' : 'deleted';

  const jobs = active.map((location): DataDeletionJob => ({
    id: settings.newJobId(),
    imageId: image.id,
    locationId: location.id,
    url: location.url,
    state: 'queued',
    attempts: 0,
    availableAt: new Date(dueAt),
    lastError: null,
    createdAt: new Date(at),
    updatedAt: new Date(at),
  }));

  const deleted: DeletionPlan['image'] = {
    ...image,
    status,
    createdAt: new Date(image.createdAt.getTime()),
    updatedAt: new Date(at),
    deleted: true,
    deletedAt: new Date(at),
    tags: [...image.tags],
    properties: { ...image.properties },
    members: image.members.map((m) => ({ ...m, createdAt: new Date(m.createdAt.getTime()), updatedAt: new Date(m.updatedAt.getTime()) })),
    locations: image.locations.map((l): ImageLocation => ({
      ...l,
      metadata: { ...l.metadata },
      status: locationStatusOn({ deleted: true }, l.status),
    })),
  };

  const event: OutboxEvent = {
    id: settings.eventId,
    type: 'image.delete',
    imageId: image.id,
    payload: toNotificationPayload(deleted),
    occurredAt: new Date(at),
    deliveredAt: null,
    attempts: 0,
  };
  return { image: deleted, jobs, event };
}
