// One copy-on-write transaction over the memory store's state: nothing is visible until it is committed.
import type { DataDeletionJob, Image, OutboxEvent, StorageError } from '@image-catalog/core';

/** An outbox event with the delivery bookkeeping the port does not expose. */
export interface StoredEvent {
  readonly event: OutboxEvent;
  /** Not offered by `claimPending` before this time (first offer, lease or retry). */
  readonly availableAt: Date;
  readonly lastError: string | null;
}

/** A data-deletion job with the bookkeeping the port does not expose. */
export interface StoredJob {
  readonly job: DataDeletionJob;
  /**
   * When `claimDue` first handed the job out, or `null` while it never has. Once set it stays:
   * from then on a scrubber may be deleting (or have deleted) the data, so the image can no
   * longer be restored.
   */
  readonly claimedAt: Date | null;
}

/** Everything the store holds, like the tables of one database. Values are never mutated, only replaced. */
export interface MemoryState {
  /** In creation order. */
  readonly images: ReadonlyMap<string, Image>;
  /** In commit order. */
  readonly jobs: ReadonlyMap<string, StoredJob>;
  /** In commit order. */
  readonly events: ReadonlyMap<string, StoredEvent>;
}

export const emptyMemoryState: MemoryState = { images: new Map(), jobs: new Map(), events: new Map() };

/** Thrown by `step` to abort the transaction with an injected error; caught by the store, never escapes. */
export class TransactionAborted {
  constructor(readonly error: StorageError) {}
}

/**
 * Reads see the transaction's own writes; the first write to a table copies it, so the state
 * the transaction started from stays untouched until `commit` hands over the new one.
 */
export class MemoryTransaction {
  #images: Map<string, Image> | undefined;
  #jobs: Map<string, StoredJob> | undefined;
  #events: Map<string, StoredEvent> | undefined;

  constructor(
    private readonly base: MemoryState,
    private readonly checkpoint: (step: string) => StorageError | undefined,
  ) {}

  get images(): ReadonlyMap<string, Image> {
    return this.#images ?? this.base.images;
  }

  get jobs(): ReadonlyMap<string, StoredJob> {
    return this.#jobs ?? this.base.jobs;
  }

  get events(): ReadonlyMap<string, StoredEvent> {
    return this.#events ?? this.base.events;
  }

  putImage(image: Image): void {
    (this.#images ??= new Map(this.base.images)).set(image.id, image);
  }

  putJob(stored: StoredJob): void {
    (this.#jobs ??= new Map(this.base.jobs)).set(stored.job.id, stored);
  }

  putEvent(stored: StoredEvent): void {
    (this.#events ??= new Map(this.base.events)).set(stored.event.id, stored);
  }

  /** A point where an injected fault may abort the transaction. */
  step(name: string): void {
    const error = this.checkpoint(name);
    if (error !== undefined) throw new TransactionAborted(error);
  }

  /** The state after this transaction. */
  result(): MemoryState {
    return { images: this.images, jobs: this.jobs, events: this.events };
  }
}
