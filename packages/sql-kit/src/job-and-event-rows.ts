// The data-deletion job and outbox event rows of the SQL schemas, their mapping to core, and ordering.
import type { DataDeletionJob, DataDeletionJobState, ImageNotificationPayload, OutboxEvent, OutboxEventType } from '@image-catalog/core';
import { asDate, asDateOrNull, asInteger, asJson, type IntegerColumn, type JsonColumn, type TimeColumn } from './column-values.js';

/** `data_deletion_jobs` columns read by the adapters; `seq` is the insertion order. */
export const JOB_COLUMNS = 'seq, id, image_id, location_id, url, state, attempts, available_at, last_error, created_at, updated_at';

export interface JobRow {
  readonly seq: IntegerColumn;
  readonly id: string;
  readonly image_id: string;
  readonly location_id: string;
  readonly url: string;
  readonly state: DataDeletionJobState;
  readonly attempts: IntegerColumn;
  readonly available_at: TimeColumn;
  readonly last_error: string | null;
  readonly created_at: TimeColumn;
  readonly updated_at: TimeColumn;
}

export function toJob(row: JobRow): DataDeletionJob {
  return {
    id: row.id,
    imageId: row.image_id,
    locationId: row.location_id,
    url: row.url,
    state: row.state,
    attempts: asInteger(row.attempts),
    availableAt: asDate(row.available_at),
    lastError: row.last_error,
    createdAt: asDate(row.created_at),
    updatedAt: asDate(row.updated_at),
  };
}

/** `outbox_events` columns read by the adapters; `seq` is the commit order. */
export const EVENT_COLUMNS = 'seq, id, type, image_id, payload, occurred_at, delivered_at, attempts';

export interface EventRow {
  readonly seq: IntegerColumn;
  readonly id: string;
  readonly type: OutboxEventType;
  readonly image_id: string;
  readonly payload: JsonColumn<ImageNotificationPayload>;
  readonly occurred_at: TimeColumn;
  readonly delivered_at: TimeColumn | null;
  readonly attempts: IntegerColumn;
}

export function toEvent(row: EventRow): OutboxEvent {
  return {
    id: row.id,
    type: row.type,
    imageId: row.image_id,
    payload: asJson(row.payload),
    occurredAt: asDate(row.occurred_at),
    deliveredAt: asDateOrNull(row.delivered_at),
    attempts: asInteger(row.attempts),
  };
}

/** Compares `seq` values exactly, whatever their column type (a bigint string never loses precision). */
export function compareSeq(a: { readonly seq: IntegerColumn }, b: { readonly seq: IntegerColumn }): number {
  const x = BigInt(a.seq);
  const y = BigInt(b.seq);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `UPDATE … RETURNING` hands rows back in no promised order; the ports promise commit order. */
export function bySeq<T extends { readonly seq: IntegerColumn }>(rows: T[]): T[] {
  return rows.sort(compareSeq);
}

/** Jobs oldest first: by creation time, then insertion order (a later commit may carry an earlier clock). */
export function oldestFirst<T extends { readonly created_at: TimeColumn; readonly seq: IntegerColumn }>(rows: T[]): T[] {
  return rows.sort((a, b) => asDate(a.created_at).getTime() - asDate(b.created_at).getTime() || compareSeq(a, b));
}
