// The in-memory EventOutbox: claim undelivered events in commit order under a lease, mark them delivered or failed.
import type { ClaimPendingEvents, EventOutbox, OutboxEvent, StorageError } from '@image-catalog/core';
import type { ResultAsync } from 'neverthrow';
import type { MemoryDatabase } from './memory-database.js';
import { boundedLimit, copyDate } from './memory-rows.js';

export class MemoryOutbox implements EventOutbox {
  constructor(private readonly db: MemoryDatabase) {}

  /** Undelivered events due at `now` (first offered at `occurredAt`), in commit order, leased until `now + leaseSeconds`. */
  claimPending(request: ClaimPendingEvents): ResultAsync<readonly OutboxEvent[], StorageError> {
    const now = copyDate(request.now);
    const leasedUntil = new Date(now.getTime() + request.leaseSeconds * 1000);
    return this.db.transact('claimPending', (tx) => {
      const due = [...tx.events.values()].filter((s) => s.event.deliveredAt === null && s.availableAt.getTime() <= now.getTime());
      const claimed = due.slice(0, boundedLimit(request.limit));
      for (const stored of claimed) tx.putEvent({ ...stored, availableAt: leasedUntil });
      return claimed.map((stored) => stored.event);
    });
  }

  /** Sets `deliveredAt` on undelivered events; an event delivered before keeps its first time; unknown ids are ignored. */
  markDelivered(eventIds: readonly string[], now: Date): ResultAsync<void, StorageError> {
    const at = copyDate(now);
    return this.db.transact('markDelivered', (tx) => {
      for (const id of eventIds) {
        const stored = tx.events.get(id);
        if (stored !== undefined && stored.event.deliveredAt === null)
          tx.putEvent({ ...stored, event: { ...stored.event, deliveredAt: at } });
      }
      return undefined;
    });
  }

  /** `attempts + 1`, offered again at `retryAt`. Delivered or unknown events are left alone. */
  markFailed(
    eventId: string,
    failure: { readonly now: Date; readonly error: string; readonly retryAt: Date },
  ): ResultAsync<void, StorageError> {
    const retryAt = copyDate(failure.retryAt);
    return this.db.transact('markFailed', (tx) => {
      const stored = tx.events.get(eventId);
      if (stored === undefined || stored.event.deliveredAt !== null) return undefined;
      tx.putEvent({ event: { ...stored.event, attempts: stored.event.attempts + 1 }, availableAt: retryAt, lastError: failure.error });
      return undefined;
    });
  }

  /** In commit order. */
  listEvents(filter: {
    readonly imageId?: string;
    readonly delivered?: boolean;
    readonly limit?: number;
  }): ResultAsync<readonly OutboxEvent[], StorageError> {
    return this.db.transact('listEvents', (tx) =>
      [...tx.events.values()]
        .map((stored) => stored.event)
        .filter(
          (e) =>
            (filter.imageId === undefined || e.imageId === filter.imageId) &&
            (filter.delivered === undefined || (e.deliveredAt !== null) === filter.delivered),
        )
        .slice(0, boundedLimit(filter.limit)),
    );
  }
}
