// An in-memory EventPublisher for tests: records every published event, with fault injection.
import { publishFailed, type EventPublisher, type OutboxEvent, type PublishError } from '@image-catalog/core';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { FaultRegistry, type InjectedFault } from './fault-registry.js';

/**
 * `published` holds every event of every successful batch, in order, duplicates included (a
 * redelivery shows up twice with the same id); `batches` holds the batches. `failNext(n)` makes
 * the next `n` batches fail with `PublishFailed` (nothing of them is recorded); `failAlways()`
 * until removed or `clear()`ed.
 */
export class MemoryEventPublisher implements EventPublisher {
  readonly #faults = new FaultRegistry<{ readonly message: string }>();
  readonly #batches: (readonly OutboxEvent[])[] = [];
  #calls = 0;

  publish(events: readonly OutboxEvent[]): ResultAsync<void, PublishError> {
    this.#calls += 1;
    const fault = this.#faults.take(() => true);
    if (fault !== undefined) return errAsync(publishFailed(fault.message, new Error(fault.message)));
    this.#batches.push(structuredClone([...events]));
    return okAsync(undefined);
  }

  /** The next `count` publish calls fail. */
  failNext(count = 1, message = 'injected publish failure'): InjectedFault {
    return this.#faults.add({ message }, count);
  }

  /** Every publish call fails until the fault is removed or `clear()`ed. */
  failAlways(message = 'injected publish failure'): InjectedFault {
    return this.#faults.add({ message }, Infinity);
  }

  /** Disarms every fault (recorded events stay). */
  clear(): void {
    this.#faults.clear();
  }

  /** Every event published, in order, duplicates included. */
  get published(): readonly OutboxEvent[] {
    return this.#batches.flat();
  }

  get batches(): readonly (readonly OutboxEvent[])[] {
    return this.#batches;
  }

  /** Publish calls so far, failed ones included. */
  get calls(): number {
    return this.#calls;
  }

  /** Ids of published events, in order, duplicates included. */
  publishedIds(): string[] {
    return this.published.map((e) => e.id);
  }
}
