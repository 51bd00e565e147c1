// The Glance (oslo.messaging) notification envelope around an outbox event, for publishers that emit one.
import type { ImageNotificationPayload } from '../image/notification.js';
import type { OutboxEvent, OutboxEventType } from '../ports/event-outbox.port.js';

/** What Glance sends on its notification bus for an image event. */
export interface GlanceNotification {
  /** The outbox event id: stable across redeliveries, so consumers can drop duplicates by it. */
  readonly message_id: string;
  readonly publisher_id: string;
  readonly event_type: OutboxEventType;
  readonly priority: 'INFO';
  /** When the change committed, as oslo prints it: `2024-05-01 12:00:00.123000` (UTC). */
  readonly timestamp: string;
  readonly payload: ImageNotificationPayload;
}

/** oslo.utils `utcnow()` as oslo.messaging serialises it: space-separated, microseconds, no zone. */
export function osloTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${String(date.getUTCMilliseconds()).padStart(3, '0')}000`;
}

export function toGlanceNotification(event: OutboxEvent, publisherId: string): GlanceNotification {
  return {
    message_id: event.id,
    publisher_id: publisherId,
    event_type: event.type,
    priority: 'INFO',
    timestamp: osloTimestamp(event.occurredAt),
    payload: event.payload,
  };
}
