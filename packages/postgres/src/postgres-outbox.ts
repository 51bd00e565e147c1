// EventOutbox on PostgreSQL: events offered in seq order, relays in any number of processes sharing the work.
import { okAsync, type ResultAsync } from 'neverthrow';
import type { ClaimPendingEvents, EventOutbox, OutboxEvent, StorageError } from '@image-catalog/core';
import { bySeq, toEvent, type EventRow } from '@image-catalog/sql-kit';
import { outboxStatements } from './outbox-statements.js';
import type { PostgresConnection } from './postgres-connection.js';
import { sqlLimit } from './sql-limit.js';

export class PostgresOutbox implements EventOutbox {
  readonly #c: PostgresConnection;
  readonly #q: ReturnType<typeof outboxStatements>;

  constructor(connection: PostgresConnection) {
    this.#c = connection;
    this.#q = outboxStatements(connection);
  }

  /**
   * Undelivered events due at `now`, in `seq` order, leased until `now + leaseSeconds`; events
   * another relay is claiming right now are skipped. `seq` is insertion order: events of
   * transactions committing at the same moment may become visible slightly out of it, and are
   * then offered on the next claim (no high-water mark, so none is skipped for good).
   */
  claimPending(request: ClaimPendingEvents): ResultAsync<readonly OutboxEvent[], StorageError> {
    const limit = sqlLimit(request.limit);
    if (limit === 0) return okAsync([]);
    const leasedUntil = new Date(request.now.getTime() + request.leaseSeconds * 1000);
    return this.#c.db.transaction(async (db) =>
      bySeq((await db.query<EventRow>(this.#q.claimEvents([request.now, leasedUntil, limit]))).rows).map(toEvent),
    );
  }

  /** Sets `deliveredAt` on undelivered events; an event delivered before keeps its first time; unknown ids are ignored. */
  markDelivered(eventIds: readonly string[], now: Date): ResultAsync<void, StorageError> {
    if (eventIds.length === 0) return okAsync(undefined);
    return this.#c.db.transaction(async (db) => {
      await db.query(this.#q.markDelivered([now, [...eventIds]]));
    });
  }

  /** `attempts + 1`, offered again at `retryAt`. Delivered or unknown events are left alone. */
  markFailed(
    eventId: string,
    failure: { readonly now: Date; readonly error: string; readonly retryAt: Date },
  ): ResultAsync<void, StorageError> {
    return this.#c.db.transaction(async (db) => {
      await db.query(this.#q.markEventFailed([eventId, failure.error, failure.retryAt]));
    });
  }

  /** In `seq` order. */
  listEvents(filter: {
    readonly imageId?: string;
    readonly delivered?: boolean;
    readonly limit?: number;
  }): ResultAsync<readonly OutboxEvent[], StorageError> {
    return this.#c.db.transaction(async (db) => {
      const values: unknown[] = [sqlLimit(filter.limit)];
      if (filter.imageId !== undefined) values.push(filter.imageId);
      const statement = this.#q.listEvents(filter.imageId !== undefined, filter.delivered);
      return (await db.query<EventRow>(statement(values))).rows.map(toEvent);
    });
  }
}
