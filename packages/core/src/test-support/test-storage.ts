// Core's own in-test storage: the delete-side ports over plain maps, so core tests need no adapter package.
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { newImageRecord, type NewImage } from '../image/new-image.js';
import type { Image } from '../image/image.js';
import type { DataDeletionJob, DataDeletionJobQueue } from '../ports/data-deletion-job-queue.port.js';
import type { EventOutbox, OutboxEvent } from '../ports/event-outbox.port.js';
import type { ImageRepository } from '../ports/image-repository.port.js';
import { storageFault, type StorageError } from '../ports/storage-error.js';
import { TEST_EPOCH } from './test-clock.js';

export type TestStorageMethod = keyof ImageRepository | keyof DataDeletionJobQueue | keyof EventOutbox;

/**
 * `images`, `jobs` and `outbox` share one set of maps, as the ports of one database do. Each call
 * is one atomic step (it runs to the end before answering); answers are copies. It follows the
 * port documentation in `ports/*.port.ts` but is no adapter: the adapters' own behaviour is proved
 * by the testkit's contract suites.
 */
export interface TestStorage {
  readonly images: ImageRepository;
  readonly jobs: DataDeletionJobQueue;
  readonly outbox: EventOutbox;
  /** Stores `image` with Glance's defaults, created at `now`; answers the stored record. */
  seed(image: NewImage, now?: Date): Image;
  /** Changes a stored image behind the ports' back, as another writer would. */
  change(imageId: string, fields: Partial<Image>): void;
  /** The next `times` calls of `method` answer a copy of `error` and touch nothing. */
  failNext(method: TestStorageMethod, error: StorageError, times?: number): void;
  /** How many times `method` was called (failed calls included). */
  callsOf(method: TestStorageMethod): number;
}

interface StoredJob {
  job: DataDeletionJob;
  /** Ever handed out by `claimDue`: from then on the image cannot be restored. */
  claimed: boolean;
}

interface StoredEvent {
  event: OutboxEvent;
  availableAt: Date;
}

const byCreatedAt = (a: { createdAt: Date }, b: { createdAt: Date }) => a.createdAt.getTime() - b.createdAt.getTime();
const leaseEnd = (now: Date, seconds: number) => new Date(now.getTime() + seconds * 1000);

export function createTestStorage(): TestStorage {
  const images = new Map<string, Image>();
  const jobs = new Map<string, StoredJob>();
  const events = new Map<string, StoredEvent>();
  const armed: { method: TestStorageMethod; error: StorageError; left: number }[] = [];
  const calls = new Map<TestStorageMethod, number>();

  /** One call: an armed failure, or `work`'s answer (a throw in `work`, before it wrote anything, is `StorageFault`). */
  function call<T>(method: TestStorageMethod, work: () => T): ResultAsync<T, StorageError> {
    calls.set(method, (calls.get(method) ?? 0) + 1);
    const failure = armed.find((f) => f.method === method);
    if (failure !== undefined) {
      if (--failure.left === 0) armed.splice(armed.indexOf(failure), 1);
      return errAsync({ ...failure.error });
    }
    try {
      return okAsync(structuredClone(work()));
    } catch (cause) {
      return errAsync(storageFault(cause));
    }
  }

  const jobsOf = (imageId: string) => [...jobs.values()].filter((s) => s.job.imageId === imageId);
  const setJob = (stored: StoredJob, fields: Partial<DataDeletionJob>) => {
    stored.job = { ...stored.job, ...fields };
  };

  const repository: ImageRepository = {
    findById: (imageId) => call('findById', () => images.get(imageId) ?? null),
    deleteImage: (request) =>
      call('deleteImage', () => {
        const decision = request.decide(structuredClone(images.get(request.imageId) ?? null));
        if (decision.kind !== 'Delete') return decision;
        const { image, jobs: planned, event } = decision.plan;
        images.set(image.id, image);
        for (const job of planned) jobs.set(job.id, { job, claimed: false });
        events.set(event.id, { event, availableAt: event.occurredAt });
        return { kind: 'Deleted' as const, ...decision.plan };
      }),
    restoreImage: (imageId, now) =>
      call('restoreImage', () => {
        const image = images.get(imageId);
        if (image === undefined) return { kind: 'NotFound' as const };
        if (image.status !== 'pending_delete') return { kind: 'NotPendingDelete' as const, status: image.status };
        if (jobsOf(imageId).some((s) => s.claimed || s.job.state === 'done')) return { kind: 'DataAlreadyDeleted' as const };
        for (const stored of jobsOf(imageId)) if (stored.job.state !== 'cancelled') setJob(stored, { state: 'cancelled', updatedAt: now });
        const locations = image.locations.map((l) => (l.status === 'pending_delete' ? { ...l, status: 'active' as const } : l));
        const restored: Image = {
          ...image,
          status: locations.length > 0 ? 'active' : 'queued',
          deleted: false,
          deletedAt: null,
          updatedAt: now,
          locations,
        };
        images.set(imageId, restored);
        return { kind: 'Restored' as const, image: restored };
      }),
  };

  const queue: DataDeletionJobQueue = {
    claimDue: ({ now, limit, leaseSeconds }) =>
      call('claimDue', () => {
        const due = [...jobs.values()].filter((s) => s.job.state === 'queued' && s.job.availableAt <= now);
        const claimed = due.sort((a, b) => byCreatedAt(a.job, b.job)).slice(0, limit);
        for (const stored of claimed) {
          stored.claimed = true;
          setJob(stored, { availableAt: leaseEnd(now, leaseSeconds), updatedAt: now });
        }
        return claimed.map((s) => s.job);
      }),
    complete: (jobId, now) =>
      call('complete', () => {
        const stored = jobs.get(jobId);
        if (stored?.job.state !== 'queued') return;
        setJob(stored, { state: 'done', updatedAt: now });
        const image = images.get(stored.job.imageId);
        if (image === undefined) return;
        const locations = image.locations.map((l) => (l.id === stored.job.locationId ? { ...l, status: 'deleted' as const } : l));
        const outstanding = jobsOf(image.id).some((s) => s.job.state === 'queued' || s.job.state === 'dead');
        const finished = image.status === 'pending_delete' && !outstanding;
        images.set(image.id, finished ? { ...image, locations, status: 'deleted', updatedAt: now } : { ...image, locations });
      }),
    fail: (jobId, { now, error, retryAt }) =>
      call('fail', () => {
        const stored = jobs.get(jobId);
        if (stored?.job.state !== 'queued') return;
        const attempted = { attempts: stored.job.attempts + 1, lastError: error, updatedAt: now };
        setJob(stored, retryAt === null ? { ...attempted, state: 'dead' } : { ...attempted, availableAt: retryAt });
      }),
    listJobs: ({ imageId, state, limit }) =>
      call('listJobs', () =>
        [...jobs.values()]
          .map((s) => s.job)
          .filter((j) => (imageId === undefined || j.imageId === imageId) && (state === undefined || j.state === state))
          .sort(byCreatedAt)
          .slice(0, limit),
      ),
    requeueDead: (now, jobIds) =>
      call('requeueDead', () => {
        const dead = [...jobs.values()].filter((s) => s.job.state === 'dead' && (jobIds === undefined || jobIds.includes(s.job.id)));
        for (const stored of dead) setJob(stored, { state: 'queued', attempts: 0, availableAt: now, updatedAt: now });
        return dead.length;
      }),
    counts: () =>
      call('counts', () => {
        const counts = { queued: 0, done: 0, dead: 0, cancelled: 0 };
        for (const { job } of jobs.values()) counts[job.state] += 1;
        return counts;
      }),
    purgeDeletedChildren: ({ olderThan, limit }) =>
      call('purgeDeletedChildren', () => {
        let left = Math.max(0, Math.floor(limit));
        const gone = [...images.values()]
          .filter((i) => i.status === 'deleted' && i.deletedAt !== null && i.deletedAt <= olderThan)
          .filter((i) => !jobsOf(i.id).some((s) => s.job.state === 'queued' || s.job.state === 'dead'))
          .sort((a, b) => a.deletedAt!.getTime() - b.deletedAt!.getTime());
        for (const image of gone) {
          if (left === 0) break;
          // Children in a fixed order, as many as the budget allows.
          const take = <T>(rows: readonly T[]): T[] => {
            const kept = rows.slice(Math.min(left, rows.length));
            left -= rows.length - kept.length;
            return kept;
          };
          const properties = Object.fromEntries(take(Object.entries(image.properties)));
          images.set(image.id, {
            ...image,
            properties,
            tags: take(image.tags),
            members: take(image.members),
            locations: take(image.locations),
          });
        }
        return Math.max(0, Math.floor(limit)) - left;
      }),
    nextDueAt: () =>
      call('nextDueAt', () => {
        const queued = [...jobs.values()].filter((s) => s.job.state === 'queued').map((s) => s.job.availableAt.getTime());
        return queued.length === 0 ? null : new Date(Math.min(...queued));
      }),
  };

  const outbox: EventOutbox = {
    claimPending: ({ now, limit, leaseSeconds }) =>
      call('claimPending', () => {
        const claimed = [...events.values()].filter((s) => s.event.deliveredAt === null && s.availableAt <= now).slice(0, limit);
        for (const stored of claimed) stored.availableAt = leaseEnd(now, leaseSeconds);
        return claimed.map((s) => s.event);
      }),
    markDelivered: (eventIds, now) =>
      call('markDelivered', () => {
        for (const id of eventIds) {
          const stored = events.get(id);
          if (stored !== undefined && stored.event.deliveredAt === null) stored.event = { ...stored.event, deliveredAt: now };
        }
      }),
    markFailed: (eventId, { retryAt }) =>
      call('markFailed', () => {
        const stored = events.get(eventId);
        if (stored === undefined || stored.event.deliveredAt !== null) return;
        stored.event = { ...stored.event, attempts: stored.event.attempts + 1 };
        stored.availableAt = retryAt;
      }),
    listEvents: ({ imageId, delivered, limit }) =>
      call('listEvents', () =>
        [...events.values()]
          .map((s) => s.event)
          .filter(
            (e) => (imageId === undefined || e.imageId === imageId) && (delivered === undefined || (e.deliveredAt !== null) === delivered),
          )
          .slice(0, limit),
      ),
  };

  return {
    images: repository,
    jobs: queue,
    outbox,
    seed(image, now = TEST_EPOCH) {
      if (images.has(image.id)) throw new Error(`test storage: image ${image.id} already exists`);
      const record = newImageRecord(image, now);
      images.set(record.id, record);
      return structuredClone(record);
    },
    change(imageId, fields) {
      const image = images.get(imageId);
      if (image === undefined) throw new Error(`test storage: no image ${imageId}`);
      images.set(imageId, { ...image, ...fields });
    },
    failNext(method, error, times = 1) {
      armed.push({ method, error, left: times });
    },
    callsOf: (method) => calls.get(method) ?? 0,
  };
}
