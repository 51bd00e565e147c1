// The transactional outbox: events written with the change they describe, delivered after.
import type { ResultAsync } from 'neverthrow';
import type { ImageNotificationPayload } from '../image/notification.js';
import type { StorageError } from './storage-error.js';

export type OutboxEventType = 'image.delete';

/** An event as stored in the outbox. `id` is stable: consumers drop duplicates by it. */
export interface OutboxEvent {
  readonly id: string;
  readonly type: OutboxEventType;
  readonly imageId: string;
  readonly payload: ImageNotificationPayload;
  readonly occurredAt: Date;
  readonly deliveredAt: Date | null;
  readonly attempts: number;
}

export interface ClaimPendingEvents {
  readonly now: Date;
  readonly limit: number;
  readonly leaseSeconds: number;
}

export interface EventOutbox {
  /** Undelivered events whose retry time has come, in commit order, leased to the caller. */
  claimPending(request: ClaimPendingEvents): ResultAsync<readonly OutboxEvent[], StorageError>;
  markDelivered(eventIds: readonly string[], now: Date): ResultAsync<void, StorageError>;
  /** Records a failed delivery attempt; the event is offered again at `retryAt`. */
  markFailed(
    eventId: string,
    failure: { readonly now: Date; readonly error: string; readonly retryAt: Date },
  ): ResultAsync<void, StorageError>;
  /** Events, oldest first, for inspection and tests. */
  listEvents(filter: {
    readonly imageId?: string;
    readonly delivered?: boolean;
    readonly limit?: number;
  }): ResultAsync<readonly OutboxEvent[], StorageError>;
}
