// An EventPublisher calling a host function per event: the simplest way to hand events to an app.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import type { OutboxEvent } from '../ports/event-outbox.port.js';
import { publishFailed, type EventPublisher, type PublishError } from '../ports/event-publisher.port.js';

export type EventCallback = (event: OutboxEvent) => void | Promise<void>;

/**
 * Calls `callback` for each event of a batch, in order, one at a time. A callback that throws or
 * rejects fails that event only: the others still go out (one event the consumer cannot take
 * must not hold back the rest), and the failed ones are retried later with the same id.
 */
export class CallbackEventPublisher implements EventPublisher {
  constructor(private readonly callback: EventCallback) {}

  publish(events: readonly OutboxEvent[]): ResultAsync<void, PublishError> {
    return new ResultAsync(this.#publish(events));
  }

  async #publish(events: readonly OutboxEvent[]): Promise<Result<void, PublishError>> {
    const failed: string[] = [];
    let firstCause: unknown;
    for (const event of events) {
      try {
        await this.callback(event);
      } catch (cause) {
        if (failed.length === 0) firstCause = cause;
        failed.push(event.id);
      }
    }
    if (failed.length === 0) return ok(undefined);
    return err(publishFailed(`event callback failed for ${failed.length} of ${events.length} events`, firstCause, failed));
  }
}
