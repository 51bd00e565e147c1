// Where delivered events go (a message bus, a webhook, a file): the outbox relay's only output.
import type { ResultAsync } from 'neverthrow';
import type { OutboxEvent } from './event-outbox.port.js';

/** A batch could not be published (or only partly). The relay retries it with backoff. */
export interface PublishError {
  readonly kind: 'PublishFailed';
  /** For operators' logs; never shown to API clients. */
  readonly message: string;
  /**
   * Ids of the events of the batch that were not published, when the publisher knows. Absent:
   * none of the batch counts as published. Lets one poisoned event not hold back the others.
   */
  readonly failedEventIds?: readonly string[];
  readonly cause?: unknown;
}

export interface EventPublisher {
  /**
   * Publishes a batch, in the given (commit) order. Delivery is at least once: after a crash or a
   * failed acknowledgement an event is published again with the same `id`; consumers drop
   * duplicates by it.
   */
  publish(events: readonly OutboxEvent[]): ResultAsync<void, PublishError>;
}

export function publishFailed(message: string, cause?: unknown, failedEventIds?: readonly string[]): PublishError {
  return failedEventIds === undefined
    ? { kind: 'PublishFailed', message, cause }
    : { kind: 'PublishFailed', message, cause, failedEventIds };
}
