// The SQLite EventOutbox: the relay's leases over outbox_events, in commit order (seq).
import type { ResultAsync } from 'neverthrow';
import type { ClaimPendingEvents, EventOutbox, OutboxEvent, StorageError } from '@image-catalog/core';
import { bySeq, EVENT_COLUMNS, toEvent, type EventRow } from '@image-catalog/sql-kit';
import { sqlLimit, type SqliteConnection, type Statement } from './sqlite-connection.js';

export class SqliteOutbox implements EventOutbox {
  readonly #c: SqliteConnection;
  readonly #s: Record<keyof typeof STATEMENTS, Statement>;

  constructor(connection: SqliteConnection) {
    this.#c = connection;
    this.#s = connection.prepareAll(STATEMENTS);
  }

  /** One UPDATE … RETURNING: leases the oldest undelivered events whose retry time has come. */
  claimPending(request: ClaimPendingEvents): ResultAsync<readonly OutboxEvent[], StorageError> {
    return this.#c.run(() => {
      const limit = sqlLimit(request.limit);
      if (limit === 0) return [];
      const now = request.now.getTime();
      const rows = this.#s.claimEvents.all(now + request.leaseSeconds * 1000, now, limit) as EventRow[];
      return bySeq(rows).map(toEvent);
    });
  }

  markDelivered(eventIds: readonly string[], now: Date): ResultAsync<void, StorageError> {
    return this.#c.run(() => {
      if (eventIds.length > 0) this.#s.markDelivered.run(now.getTime(), JSON.stringify(eventIds));
    });
  }

  markFailed(eventId: string, failure: { readonly now: Date; readonly error: string; readonly retryAt: Date }): ResultAsync<void, StorageError> {
    return this.#c.run(() => {
      this.#s.markEventFailed.run(failure.error, failure.retryAt.getTime(), eventId);
    });
  }

  listEvents(filter: { readonly imageId?: string; readonly delivered?: boolean; readonly limit?: number }): ResultAsync<readonly OutboxEvent[], StorageError> {
    return this.#c.run(() => {
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
  markEventFailed: 'UPDATE outbox_events SET attempts = attempts + 1, last_error = ?, available_at = ? WHERE id = ? AND delivered_at IS NULL',
} as const;
