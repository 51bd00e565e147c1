// The event outbox's SQL: claim in seq order with SKIP LOCKED, mark delivered or failed, list.
import { EVENT_COLUMNS } from '@image-catalog/sql-kit';
import type { PostgresConnection } from './postgres-connection.js';
import { qualified } from './rows.js';

export function outboxStatements({ schema, statement }: PostgresConnection) {
  const s = schema.sql;

  return {
    claimEvents: statement(
      'claimEvents',
      `WITH due AS (
         SELECT seq FROM ${s}.outbox_events WHERE delivered_at IS NULL AND available_at <= $1::timestamptz
         ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED
       )
       UPDATE ${s}.outbox_events o SET available_at = $2::timestamptz FROM due WHERE o.seq = due.seq
       RETURNING ${qualified(EVENT_COLUMNS, 'o')}`,
    ),
    markDelivered: statement(
      'markDelivered',
      `UPDATE ${s}.outbox_events SET delivered_at = $1::timestamptz WHERE delivered_at IS NULL AND id = ANY ($2::text[])`,
    ),
    markEventFailed: statement(
      'markEventFailed',
      `UPDATE ${s}.outbox_events SET attempts = attempts + 1, last_error = $2, available_at = $3::timestamptz WHERE id = $1 AND delivered_at IS NULL`,
    ),
    /** One statement per filter shape, so each keeps an index-friendly plan. */
    listEvents: (byImage: boolean, delivered: boolean | undefined) => {
      const where = [
        byImage ? 'image_id = $2' : null,
        delivered === undefined ? null : delivered ? 'delivered_at IS NOT NULL' : 'delivered_at IS NULL',
      ].filter((w) => w !== null);
      return statement(
        `listEvents_${byImage ? 'i' : ''}${delivered === undefined ? '' : delivered ? 'd' : 'u'}`,
        `SELECT ${EVENT_COLUMNS} FROM ${s}.outbox_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $1`,
      );
    },
  };
}
