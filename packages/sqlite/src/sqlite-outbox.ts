// The SQLite EventOutbox: the relay's leases over outbox_events, in commit order (seq).
import type { ResultAsync } from 'neverthrow';
import type { ClaimPendingEvents, EventOutbox, OutboxEvent, StorageError } from '@image-catalog/core';
import { bySeq, EVENT_COLUMNS, toEvent, type EventRow } from '@image-catalog/sql-kit';
import { sqlLimit, type SqliteConnection, type Statement } from './sqlite-connection.js';

type EventFailure = Parameters<EventOutbox['markFailed']>[1];

export class SqliteOutbox implements EventOutbox {
  readonly #c: SqliteConnection;
  readonly #claimTx: (request: ClaimPendingEvents) => ResultAsync<readonly OutboxEvent[], StorageError>;
  readonly #deliveredTx: (eventIds: readonly string[], now: Date) => ResultAsync<void, StorageError>;
  readonly #failedTx: (eventId: string, failure: EventFailure) => ResultAsync<void, StorageError>;

  /** Every write is one BEGIN IMMEDIATE transaction, waiting for the lock on timers (see `SqliteConnection.transaction`). */
  constructor(connection: SqliteConnection) {
    this.#c = connection;
    const s: Record<keyof typeof STATEMENTS, Statement> = connection.prepareAll(STATEMENTS);
    this.#claimTx = connection.transaction((request: ClaimPendingEvents) => {
      const limit = sqlLimit(request.limit);
      if (limit === 0) return [];
      const now = request.now.getTime();
      const rows = s.claimEvents.all(now + request.leaseSeconds * 1000, now, limit) as EventRow[];
      return bySeq(rows).map(toEvent);
    });
    this.#deliveredTx = connection.transaction((eventIds: readonly string[], now: Date) => {
      if (eventIds.length > 0) s.markDelivered.run(now.getTime(), JSON.stringify(eventIds));
    });
    this.#failedTx = connection.transaction((eventId: string, failure: EventFailure) => {
      s.markEventFailed.run(failure.error, failure.retryAt.getTime(), eventId);
    });
  }

  /** One UPDATE … RETURNING: leases the oldest undelivered events whose retry time has come. */
  claimPending(request: ClaimPendingEvents): ResultAsync<readonly OutboxEvent[], StorageError> {
    return this.#claimTx(request);
  }

  markDelivered(eventIds: readonly string[], now: Date): ResultAsync<void, StorageError> {
    return this.#deliveredTx(eventIds, now);
  }

  markFailed(eventId: string, failure: EventFailure): ResultAsync<void, StorageError> {
    return this.#failedTx(eventId, failure);
  }

  listEvents(filter: {
    readonly imageId?: string;
    readonly delivered?: boolean;
    readonly limit?: number;
  }): ResultAsync<readonly OutboxEvent[], StorageError> {
    return this.#c.read(() => {
      const filters = [
        filter.imageId === undefined ? null : { sql: 'image_id = @imageId', params: { imageId: filter.imageId } },
        filter.delivered === undefined ? null : { sql: filter.delivered ? 'delivered_at IS NOT NULL' : 'delivered_at IS NULL' },
      ];
      const rows = this.#c.list<EventRow>({ columns: EVENT_COLUMNS, from: 'outbox_events', orderBy: 'seq' }, filters, filter.limit);
      return rows.map(toEvent);
    });
  }
}

const STATEMENTS = {
  claimEvents: `UPDATE outbox_events SET available_at = ?
     WHERE seq IN (SELECT seq FROM outbox_events WHERE delivered_at IS NULL AND available_at <= ? ORDER BY seq LIMIT ?)
     RETURNING ${EVENT_COLUMNS}`,
  markDelivered: 'UPDATE outbox_events SET delivered_at = ? WHERE delivered_at IS NULL AND id IN (SELECT value FROM json_each(?))',
  markEventFailed:
    'UPDATE outbox_events SET attempts = attempts + 1, last_error = ?, available_at = ? WHERE id = ? AND delivered_at IS NULL',
} as const;
