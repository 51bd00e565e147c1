// How far the background work is behind, read from the job queue and the outbox: what a host's metrics gauges report.
import { ResultAsync } from 'neverthrow';
import type { DataDeletionJobQueue } from '../ports/data-deletion-job-queue.port.js';
import type { EventOutbox, OutboxEvent } from '../ports/event-outbox.port.js';
import type { StorageError } from '../ports/storage-error.js';

export interface BacklogPorts {
  readonly jobs: DataDeletionJobQueue;
  readonly outbox: EventOutbox;
}

export interface BacklogSnapshot {
  /** Data-deletion jobs waiting for the inline deletion or the scrubber (due or not yet due). */
  readonly queuedJobs: number;
  /** Jobs that ran out of attempts: image data left behind until an operator requeues them. */
  readonly deadJobs: number;
  /**
   * Undelivered outbox events, counted up to `pendingEventsLimit`: when `pendingEventsCapped`
   * is true there are at least this many, possibly more.
   */
  readonly pendingEvents: number;
  readonly pendingEventsCapped: boolean;
  /** The outbox lag: seconds since the oldest undelivered event occurred; 0 when none is pending. */
  readonly oldestPendingEventAgeSeconds: number;
}

export interface BacklogSnapshotOptions {
  /** At most this many undelivered events are read to count them (default 1000). */
  readonly pendingEventsLimit?: number;
}

export const DEFAULT_PENDING_EVENTS_LIMIT = 1000;

/**
 * One read of the job counts and one bounded read of the undelivered events, concurrently.
 * `EventOutbox.listEvents` answers oldest first, so the bounded page always holds the oldest
 * pending event and the lag is exact even when the count is capped. The port has no count of
 * pending events, and the snapshot does not need one: a backlog past the limit is an alert
 * either way, and the limit keeps each read small (the SQL adapters serve it from their
 * pending-events index). Fails with the first port's `StorageError`.
 */
export function backlogSnapshot(
  ports: BacklogPorts,
  now: Date,
  options: BacklogSnapshotOptions = {},
): ResultAsync<BacklogSnapshot, StorageError> {
  const limit = options.pendingEventsLimit ?? DEFAULT_PENDING_EVENTS_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`pendingEventsLimit must be a whole number >= 1, got ${limit}`);
  return ResultAsync.combine([ports.jobs.counts(), ports.outbox.listEvents({ delivered: false, limit })] as const).map(
    ([counts, pending]) => ({
      queuedJobs: counts.queued,
      deadJobs: counts.dead,
      pendingEvents: pending.length,
      pendingEventsCapped: pending.length >= limit,
      oldestPendingEventAgeSeconds: ageSeconds(pending, now),
    }),
  );
}

function ageSeconds(pending: readonly OutboxEvent[], now: Date): number {
  if (pending.length === 0) return 0;
  // Oldest first by commit order; the earliest `occurredAt` of the page guards against clock steps between commits.
  let oldestMs = Infinity;
  for (const event of pending) oldestMs = Math.min(oldestMs, event.occurredAt.getTime());
  // A clock behind the event's (another host's skew) reads as no lag rather than a negative one.
  return Math.max(0, (now.getTime() - oldestMs) / 1000);
}
