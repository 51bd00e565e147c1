// backlogSnapshot over small fakes of the job queue and the outbox.
import { randomUUID } from 'node:crypto';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import type { DataDeletionJobQueue, JobCounts } from '../ports/data-deletion-job-queue.port.js';
import type { EventOutbox, OutboxEvent } from '../ports/event-outbox.port.js';
import { storageFault, storageUnavailable, type StorageError } from '../ports/storage-error.js';
import { backlogSnapshot, DEFAULT_PENDING_EVENTS_LIMIT } from './backlog-snapshot.js';

const NOW = new Date('2025-06-01T12:00:00Z');
const secondsBefore = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

function event(occurredAt: Date, deliveredAt: Date | null = null): OutboxEvent {
  const imageId = randomUUID();
  return {
    id: randomUUID(),
    type: 'image.delete',
    imageId,
    payload: {
      id: imageId,
      name: null,
      status: 'deleted',
      created_at: '2025-01-01T00:00:00Z',
      updated_at: '2025-01-01T00:00:00Z',
      min_disk: 0,
      min_ram: 0,
      protected: false,
      checksum: null,
      owner: 'p1',
      disk_format: null,
      container_format: null,
      size: null,
      virtual_size: null,
      is_public: false,
      visibility: 'private',
      properties: {},
      tags: [],
      deleted: true,
      deleted_at: '2025-01-01T00:00:00Z',
    },
    occurredAt,
    deliveredAt,
    attempts: 0,
  };
}

const unused = (): never => {
  throw new Error('not used by backlogSnapshot');
};

/** A queue whose counts are `counts` (or fail with `error`). */
function fakeJobs(counts: Partial<JobCounts> | StorageError): DataDeletionJobQueue {
  const answer = (): ResultAsync<JobCounts, StorageError> =>
    'kind' in counts ? errAsync(counts) : okAsync({ queued: 0, done: 0, dead: 0, cancelled: 0, ...counts });
  return {
    counts: answer,
    claimDue: unused,
    complete: unused,
    fail: unused,
    listJobs: unused,
    requeueDead: unused,
    nextDueAt: unused,
    purgeDeletedChildren: unused,
  };
}

/** An outbox holding `events` in commit order, honouring the filter as the port describes; remembers each filter. */
function fakeOutbox(events: readonly OutboxEvent[] | StorageError) {
  const filters: Parameters<EventOutbox['listEvents']>[0][] = [];
  const outbox: EventOutbox = {
    listEvents(filter) {
      filters.push(filter);
      if (!Array.isArray(events)) return errAsync(events as StorageError);
      const matching = (events as readonly OutboxEvent[]).filter(
        (e) => filter.delivered === undefined || (e.deliveredAt !== null) === filter.delivered,
      );
      return okAsync(matching.slice(0, filter.limit ?? Infinity));
    },
    claimPending: unused,
    markDelivered: unused,
    markFailed: unused,
  };
  return { outbox, filters };
}

describe('backlogSnapshot', () => {
  it('reports queued and dead jobs, and an empty outbox as no lag', async () => {
    const { outbox } = fakeOutbox([event(secondsBefore(900), secondsBefore(899))]);
    const snapshot = await backlogSnapshot({ jobs: fakeJobs({ queued: 4, done: 10, dead: 2, cancelled: 1 }), outbox }, NOW);
    expect(snapshot._unsafeUnwrap()).toEqual({
      queuedJobs: 4,
      deadJobs: 2,
      pendingEvents: 0,
      pendingEventsCapped: false,
      oldestPendingEventAgeSeconds: 0,
    });
  });

  it('counts undelivered events only, and the lag is the age of the oldest of them', async () => {
    const { outbox, filters } = fakeOutbox([
      event(secondsBefore(600), secondsBefore(590)),
      event(secondsBefore(42.5)),
      event(secondsBefore(30)),
      event(secondsBefore(1)),
    ]);
    const snapshot = (await backlogSnapshot({ jobs: fakeJobs({}), outbox }, NOW))._unsafeUnwrap();
    expect(snapshot).toMatchObject({ pendingEvents: 3, pendingEventsCapped: false, oldestPendingEventAgeSeconds: 42.5 });
    expect(filters).toEqual([{ delivered: false, limit: DEFAULT_PENDING_EVENTS_LIMIT }]);
  });

  it('reads at most pendingEventsLimit events: the count is then "at least", the lag still exact', async () => {
    const pending = Array.from({ length: 25 }, (_, i) => event(secondsBefore(1000 - i)));
    const { outbox, filters } = fakeOutbox(pending);
    const snapshot = (await backlogSnapshot({ jobs: fakeJobs({}), outbox }, NOW, { pendingEventsLimit: 10 }))._unsafeUnwrap();
    expect(snapshot).toMatchObject({ pendingEvents: 10, pendingEventsCapped: true, oldestPendingEventAgeSeconds: 1000 });
    expect(filters).toEqual([{ delivered: false, limit: 10 }]);
  });

  it('takes the earliest occurredAt of the page, whatever the commit order', async () => {
    // A clock stepped back between two commits: the second event to commit occurred "earlier".
    const { outbox } = fakeOutbox([event(secondsBefore(20)), event(secondsBefore(75))]);
    expect((await backlogSnapshot({ jobs: fakeJobs({}), outbox }, NOW))._unsafeUnwrap().oldestPendingEventAgeSeconds).toBe(75);
  });

  it('reads a clock behind the events as no lag, never a negative one', async () => {
    const { outbox } = fakeOutbox([event(new Date(NOW.getTime() + 5000))]);
    expect((await backlogSnapshot({ jobs: fakeJobs({}), outbox }, NOW))._unsafeUnwrap()).toMatchObject({
      pendingEvents: 1,
      oldestPendingEventAgeSeconds: 0,
    });
  });

  it("fails with the port's StorageError when either read fails", async () => {
    const down = storageUnavailable(new Error('ECONNREFUSED'), 3);
    const corrupt = storageFault(new Error('SQLITE_CORRUPT'));
    expect((await backlogSnapshot({ jobs: fakeJobs(down), outbox: fakeOutbox([]).outbox }, NOW))._unsafeUnwrapErr()).toBe(down);
    expect((await backlogSnapshot({ jobs: fakeJobs({}), outbox: fakeOutbox(corrupt).outbox }, NOW))._unsafeUnwrapErr()).toBe(corrupt);
  });

  it.each([0, -1, 2.5, Number.NaN, Infinity])('refuses pendingEventsLimit %s', (limit) => {
    expect(() => backlogSnapshot({ jobs: fakeJobs({}), outbox: fakeOutbox([]).outbox }, NOW, { pendingEventsLimit: limit })).toThrow(
      RangeError,
    );
  });
});
