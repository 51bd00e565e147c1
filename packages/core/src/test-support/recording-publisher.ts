// An event publisher for core's tests: records each published batch; the next batches can be made to fail.
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { OutboxEvent } from '../ports/event-outbox.port.js';
import { publishFailed, type EventPublisher, type PublishError } from '../ports/event-publisher.port.js';

export class RecordingPublisher implements EventPublisher {
  readonly batches: (readonly OutboxEvent[])[] = [];
  #failing = 0;

  publish(events: readonly OutboxEvent[]): ResultAsync<void, PublishError> {
    if (this.#failing > 0) {
      this.#failing -= 1;
      return errAsync(publishFailed('injected publish failure'));
    }
    this.batches.push(structuredClone([...events]));
    return okAsync(undefined);
  }

  /** The next `count` batches fail, nothing of them recorded. */
  failNext(count: number): void {
    this.#failing += count;
  }

  /** Every event published, in order, redeliveries included. */
  get published(): OutboxEvent[] {
    return this.batches.flat();
  }

  publishedIds(): string[] {
    return this.published.map((e) => e.id);
  }
}
