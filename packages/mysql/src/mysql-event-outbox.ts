// EventOutbox over MariaDB: undelivered events claimed in commit (seq) order with FOR UPDATE SKIP LOCKED and a lease.
import type { ClaimPendingEvents, EventOutbox, OutboxEvent, StorageError } from '@image-catalog/core';
import { EVENT_COLUMNS, bySeq, toEvent, type EventRow } from '@image-catalog/sql-kit';
import { okAsync, type ResultAsync } from 'neverthrow';
import type { MysqlConnection } from './mysql-connection.js';

export class MysqlEventOutbox implements EventOutbox {
  constructor(private readonly db: MysqlConnection) {}

  claimPending(request: ClaimPendingEvents): ResultAsync<readonly OutboxEvent[], StorageError> {
    if (request.limit <= 0) return okAsync([]);
    const now = request.now.getTime();
    return this.db.transaction(async (sql) => {
      const due = await sql.rows<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM outbox_events FORCE INDEX (outbox_events_pending)
         WHERE delivered_at IS NULL AND available_at <= ? ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED`,
        [now, Math.floor(request.limit)],
      );
      if (due.length > 0) {
        await sql.run('UPDATE outbox_events SET available_at = ? WHERE seq IN (?)', [
          now + request.leaseSeconds * 1000,
          due.map((event) => event.seq),
        ]);
      }
      return bySeq(due).map(toEvent);
    });
  }

  markDelivered(eventIds: readonly string[], now: Date): ResultAsync<void, StorageError> {
    if (eventIds.length === 0) return okAsync(undefined);
    return this.db.transaction(async (sql) => {
      await sql.run('UPDATE outbox_events FORCE INDEX (outbox_events_id) SET delivered_at = ? WHERE id IN (?) AND delivered_at IS NULL', [
        now.getTime(),
        eventIds,
      ]);
    });
  }

  markFailed(
    eventId: string,
    failure: { readonly now: Date; readonly error: string; readonly retryAt: Date },
  ): ResultAsync<void, StorageError> {
    return this.db.transaction(async (sql) => {
      await sql.run(
        `UPDATE outbox_events FORCE INDEX (outbox_events_id) SET attempts = attempts + 1, last_error = ?, available_at = ?
         WHERE id = ? AND delivered_at IS NULL`,
        [failure.error, failure.retryAt.getTime(), eventId],
      );
    });
  }

  listEvents(filter: {
    readonly imageId?: string;
    readonly delivered?: boolean;
    readonly limit?: number;
  }): ResultAsync<readonly OutboxEvent[], StorageError> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.imageId !== undefined) {
      where.push('image_id = ?');
      values.push(filter.imageId);
    }
    if (filter.delivered !== undefined) where.push(filter.delivered ? 'delivered_at IS NOT NULL' : 'delivered_at IS NULL');
    let statement = `SELECT ${EVENT_COLUMNS} FROM outbox_events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`;
    if (filter.limit !== undefined) statement += ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
    return this.db.read(async (sql) => (await sql.rows<EventRow>(statement, values)).map(toEvent));
  }
}
