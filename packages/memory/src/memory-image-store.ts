// In-memory catalog, data-deletion job queue and event outbox over one shared state, like one database.
import {
  isLive,
  storageFault,
  toNotificationPayload,
  type ClaimDueJobs,
  type ClaimPendingEvents,
  type DataDeletionJob,
  type DataDeletionJobQueue,
  type DataDeletionJobState,
  type DeleteImageOutcome,
  type DeleteImageRequest,
  type EventOutbox,
  type Image,
  type ImageMember,
  type ImageRepository,
  type JobCounts,
  type JobFailure,
  type OutboxEvent,
  type RestoreImageOutcome,
  type StorageError,
} from '@image-catalog/core';
import {
  newImageRecord,
  type ImageCatalog,
  type ImageDataRecord,
  type ImageListQuery,
  type ImagePatch,
  type NewImage,
} from '@image-catalog/core/authoring';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { MemoryStoreFaults, type MemoryStoreMethod } from './memory-store-faults.js';
import { emptyMemoryState, MemoryTransaction, TransactionAborted, type MemoryState, type StoredJob } from './memory-transaction.js';

export interface MemoryImageStoreOptions {
  /** Ids of new locations and jobs (default: random UUIDs); injectable for deterministic tests. */
  readonly newId?: () => string;
}

type Conflict = { readonly kind: 'Conflict' };

/** Jobs that still stand between a `pending_delete` image and `deleted`: a dead job's data may still exist. */
const OUTSTANDING: ReadonlySet<DataDeletionJobState> = new Set(['queued', 'dead']);

function copyDate(date: Date): Date {
  return new Date(date.getTime());
}

function boundedLimit(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  return Number.isNaN(limit) ? 0 : Math.max(0, Math.floor(limit));
}

/** Oldest first by `createdAt`; `sort` is stable, so ties keep commit (insertion) order. */
function oldestFirst<T extends { readonly createdAt: Date }>(rows: Iterable<T>): T[] {
  return [...rows].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

function toEvent(stored: { readonly event: OutboxEvent }): OutboxEvent {
  return stored.event;
}

function toJob(stored: StoredJob): DataDeletionJob {
  return stored.job;
}

/** The jobs of the transaction's state, as the port shows them. */
function allJobs(tx: MemoryTransaction): DataDeletionJob[] {
  return [...tx.jobs.values()].map(toJob);
}

/**
 * Implements `ImageRepository`, `ImageCatalog`, `DataDeletionJobQueue` and `EventOutbox` over
 * one state, so a delete's cascade, jobs and event commit together. Every method runs to the end
 * synchronously before its `ResultAsync` is returned, so interleaved async callers see each
 * other's steps as whole transactions (of N concurrent deletes of one image exactly one wins).
 * Every value going in or out is copied: callers never alias the stored state.
 *
 * `faults` arms failures for tests; a failure at any step leaves the state as it was.
 */
export class MemoryImageStore implements ImageRepository, ImageCatalog, DataDeletionJobQueue, EventOutbox {
  readonly faults = new MemoryStoreFaults();
  #state: MemoryState = emptyMemoryState;
  readonly #newId: () => string;

  constructor(options: MemoryImageStoreOptions = {}) {
    this.#newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  }

  /** Runs `work` as one transaction: commits what it wrote, or nothing when a fault or defect aborts it. */
  #transact<T>(method: MemoryStoreMethod, work: (tx: MemoryTransaction) => T): ResultAsync<T, StorageError> {
    const tx = new MemoryTransaction(this.#state, (step) => this.faults.check(method, step));
    try {
      tx.step('begin');
      const value = work(tx);
      tx.step('commit');
      this.#state = tx.result();
      return okAsync(structuredClone(value));
    } catch (cause) {
      if (cause instanceof TransactionAborted) return errAsync(cause.error);
      // The adapter edge: a bug in this store becomes a fault, never a rejection.
      return errAsync(storageFault(cause));
    }
  }

  // ImageRepository --------------------------------------------------------------------------

  /** The image whatever its status: deleted ones keep their properties, tags, members and locations as they were. */
  findById(imageId: string): ResultAsync<Image | null, StorageError> {
    return this.#transact('findById', (tx) => tx.images.get(imageId) ?? null);
  }

  /**
   * Reads the image (a copy: `decide` cannot alias the stored state) and writes what `decide`
   * answers, in fault-injection steps `image`, `cascade`, `jobs`, `outbox`. A job or event id
   * already stored is a `StorageFault` (a unique key), and nothing is written.
   */
  deleteImage(request: DeleteImageRequest): ResultAsync<DeleteImageOutcome, StorageError> {
    return this.#transact('deleteImage', (tx): DeleteImageOutcome => {
      const current = tx.images.get(request.imageId);
      const decision = request.decide(current === undefined ? null : structuredClone(current));
      if (decision.kind !== 'Delete') return decision;
      const { image, jobs, event } = decision.plan;

      // The row first, then its children (locations), so a fault between them is observable.
      tx.putImage({ ...structuredClone(image), locations: current?.locations ?? [] });
      tx.step('image');
      tx.putImage(structuredClone(image));
      tx.step('cascade');

      for (const job of jobs) {
        if (tx.jobs.has(job.id)) throw new Error('data-deletion job id already exists');
        tx.putJob({ job, claimedAt: null });
      }
      tx.step('jobs');

      if (tx.events.has(event.id)) throw new Error('outbox event id already exists');
      tx.putEvent({ event, availableAt: event.occurredAt, lastError: null });
      tx.step('outbox');

      return { kind: 'Deleted', ...decision.plan };
    });
  }

  /**
   * Restorable: a `pending_delete` image none of whose data-deletion jobs is `done` or has ever
   * been claimed by `claimDue` (else `DataAlreadyDeleted`: some of its data is already gone or
   * being deleted; a claim whose worker crashed still counts, since nobody can tell how far it
   * got). Claim and restore are each one transaction, so either the claim comes first and the
   * restore is refused, or the restore does and the claim finds the jobs cancelled: a scrubber can
   * never delete the data of an image a restore brought back.
   * Its status becomes `active` when it has a location (always, in practice: only images with
   * data go to `pending_delete`), else `queued`; `deleted` false, `deletedAt` null, `updatedAt`
   * now; its `pending_delete` locations become `active`; its queued and dead jobs (none of them
   * ever claimed) become `cancelled`. The `image.delete` event already in the outbox stays: it
   * was committed and may have been delivered.
   */
  restoreImage(imageId: string, now: Date): ResultAsync<RestoreImageOutcome, StorageError> {
    const at = copyDate(now);
    return this.#transact('restoreImage', (tx): RestoreImageOutcome => {
      const current = tx.images.get(imageId);
      if (current === undefined) return { kind: 'NotFound' };
      if (current.status !== 'pending_delete') return { kind: 'NotPendingDelete', status: current.status };
      const jobs = [...tx.jobs.values()].filter((s) => s.job.imageId === imageId);
      const touched = jobs.some((s) => s.job.state === 'done' || s.claimedAt !== null);
      if (touched || current.locations.some((l) => l.status === 'deleted')) return { kind: 'DataAlreadyDeleted' };

      const locations = current.locations.map((l) => (l.status === 'pending_delete' ? { ...l, status: 'active' as const } : l));
      const status = locations.length > 0 ? 'active' : 'queued';
      const revived: Image = { ...current, status, deleted: false, deletedAt: null, updatedAt: at };
      tx.putImage(revived);
      tx.step('image');

      const image: Image = { ...revived, locations };
      tx.putImage(image);
      tx.step('cascade');

      for (const stored of jobs) {
        if (OUTSTANDING.has(stored.job.state)) tx.putJob({ ...stored, job: { ...stored.job, state: 'cancelled', updatedAt: at } });
      }
      tx.step('jobs');
      return { kind: 'Restored', image };
    });
  }

  // ImageCatalog -----------------------------------------------------------------------------

  /** Glance's defaults fill what `image` leaves out; an id taken by any image, deleted or not, is a `Conflict`. */
  createImage(image: NewImage, now: Date): ResultAsync<Image, StorageError | Conflict> {
    return this.#transact('createImage', (tx): Image | Conflict => {
      if (tx.images.has(image.id)) return { kind: 'Conflict' };
      const record = structuredClone(newImageRecord(image, copyDate(now)));
      tx.putImage(record);
      return record;
    }).andThen((created) => ('kind' in created ? errAsync(created) : okAsync(created)));
  }

  /** Live images, oldest first (`createdAt`, then creation order), optionally with exactly `name`. */
  listImages(query: ImageListQuery): ResultAsync<readonly Image[], StorageError> {
    return this.#transact('listImages', (tx) =>
      oldestFirst([...tx.images.values()].filter((i) => isLive(i) && (query.name === undefined || i.name === query.name))).slice(0, boundedLimit(query.limit)),
    );
  }

  /**
   * Applies the fields `patch` defines and sets `updatedAt`. A patch moving the status to
   * `deleted` or `pending_delete` is refused with `StorageFault`: only `deleteImage` may do
   * that, because only it writes the cascade, the jobs and the event.
   */
  updateImage(imageId: string, patch: ImagePatch, now: Date): ResultAsync<Image | null, StorageError> {
    if (patch.status === 'deleted' || patch.status === 'pending_delete') {
      return errAsync(storageFault(new Error(`updateImage cannot set status ${patch.status}; use deleteImage`)));
    }
    return this.#transact('updateImage', (tx) => {
      const current = tx.images.get(imageId);
      if (current === undefined || !isLive(current)) return null;
      const image: Image = {
        ...current,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.visibility !== undefined ? { visibility: patch.visibility } : {}),
        ...(patch.protected !== undefined ? { protected: patch.protected } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        updatedAt: copyDate(now),
      };
      tx.putImage(image);
      return image;
    });
  }

  /** A new member starts `pending`; an existing one is returned unchanged. The image's `updatedAt` is not touched. */
  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError> {
    return this.#transact('addMember', (tx) => {
      const current = tx.images.get(imageId);
      if (current === undefined || !isLive(current)) return null;
      const existing = current.members.find((m) => m.memberId === memberId);
      if (existing !== undefined) return existing;
      const member: ImageMember = { memberId, status: 'pending', createdAt: copyDate(now), updatedAt: copyDate(now) };
      tx.putImage({ ...current, members: [...current.members, member] });
      return member;
    });
  }

  /** Appends an active location (after any existing ones) and makes the image `active` with the data's size and digests. */
  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError> {
    return this.#transact('attachImageData', (tx) => {
      const current = tx.images.get(imageId);
      if (current === undefined || !isLive(current)) return null;
      const image: Image = {
        ...current,
        status: 'active',
        size: data.size,
        checksum: data.checksum,
        osHashAlgo: data.osHashAlgo,
        osHashValue: data.osHashValue,
        locations: [...current.locations, { id: this.#newId(), url: data.url, metadata: { ...(data.metadata ?? {}) }, status: 'active' }],
        updatedAt: copyDate(now),
      };
      tx.putImage(image);
      return image;
    });
  }

  // DataDeletionJobQueue ---------------------------------------------------------------------

  /**
   * Queued jobs due at `now` (inclusive), oldest first (`createdAt`, then commit order), leased
   * until `now + leaseSeconds`. Each claimed job is marked claimed (the first claim's time is
   * kept), which from then on stops `restoreImage` for its image.
   */
  claimDue(request: ClaimDueJobs): ResultAsync<readonly DataDeletionJob[], StorageError> {
    const now = copyDate(request.now);
    const leasedUntil = new Date(now.getTime() + request.leaseSeconds * 1000);
    return this.#transact('claimDue', (tx) => {
      const due = oldestFirst(allJobs(tx).filter((j) => j.state === 'queued' && j.availableAt.getTime() <= now.getTime()));
      const claimed = due.slice(0, boundedLimit(request.limit)).map((j): DataDeletionJob => ({ ...j, availableAt: leasedUntil, updatedAt: now }));
      for (const job of claimed) tx.putJob({ job, claimedAt: tx.jobs.get(job.id)?.claimedAt ?? now });
      return claimed;
    });
  }

  /**
   * The job becomes `done` and its location `deleted`; a `pending_delete` image left with no
   * queued or dead job becomes `deleted` (`updatedAt` = now, `deletedAt` unchanged). A job that
   * is not queued (done, dead, cancelled by a restore) or unknown is left alone.
   */
  complete(jobId: string, now: Date): ResultAsync<void, StorageError> {
    const at = copyDate(now);
    return this.#transact('complete', (tx) => {
      const stored = tx.jobs.get(jobId);
      if (stored === undefined || stored.job.state !== 'queued') return undefined;
      const job = stored.job;
      tx.putJob({ ...stored, job: { ...job, state: 'done', updatedAt: at } });
      tx.step('job');

      const image = tx.images.get(job.imageId);
      if (image === undefined) return undefined;
      const withLocation: Image = {
        ...image,
        locations: image.locations.map((l) => (l.id === job.locationId ? { ...l, status: 'deleted' as const } : l)),
      };
      tx.putImage(withLocation);
      tx.step('location');

      if (image.status === 'pending_delete') {
        const outstanding = allJobs(tx).some((j) => j.imageId === image.id && OUTSTANDING.has(j.state));
        if (!outstanding) {
          tx.putImage({ ...withLocation, status: 'deleted', updatedAt: at });
          tx.step('image');
        }
      }
      return undefined;
    });
  }

  /** `attempts + 1`, `lastError`; due again at `retryAt`, or `dead` when it is `null`. Not-queued or unknown jobs are left alone. */
  fail(jobId: string, failure: JobFailure): ResultAsync<void, StorageError> {
    const now = copyDate(failure.now);
    return this.#transact('fail', (tx) => {
      const stored = tx.jobs.get(jobId);
      if (stored === undefined || stored.job.state !== 'queued') return undefined;
      const attempted = { ...stored.job, attempts: stored.job.attempts + 1, lastError: failure.error, updatedAt: now };
      const job: DataDeletionJob = failure.retryAt === null ? { ...attempted, state: 'dead' } : { ...attempted, availableAt: copyDate(failure.retryAt) };
      tx.putJob({ ...stored, job });
      return undefined;
    });
  }

  /** Oldest first (`createdAt`, then commit order). */
  listJobs(filter: { readonly imageId?: string; readonly state?: DataDeletionJobState; readonly limit?: number }): ResultAsync<readonly DataDeletionJob[], StorageError> {
    return this.#transact('listJobs', (tx) =>
      oldestFirst(
        allJobs(tx).filter((j) => (filter.imageId === undefined || j.imageId === filter.imageId) && (filter.state === undefined || j.state === filter.state)),
      ).slice(0, boundedLimit(filter.limit)),
    );
  }

  /**
   * Dead jobs (all of them, or those of `jobIds`; an empty list requeues none) become queued, due
   * at `now`, attempts 0; `lastError` and the claim marker are kept. Only `dead` jobs: a job a
   * restore `cancelled` is never brought back, whatever ids are given.
   */
  requeueDead(now: Date, jobIds?: readonly string[]): ResultAsync<number, StorageError> {
    const at = copyDate(now);
    const wanted = jobIds === undefined ? null : new Set(jobIds);
    return this.#transact('requeueDead', (tx) => {
      let count = 0;
      for (const stored of [...tx.jobs.values()]) {
        const job = stored.job;
        if (job.state !== 'dead' || (wanted !== null && !wanted.has(job.id))) continue;
        tx.putJob({ ...stored, job: { ...job, state: 'queued', attempts: 0, availableAt: at, updatedAt: at } });
        count += 1;
      }
      return count;
    });
  }

  counts(): ResultAsync<JobCounts, StorageError> {
    return this.#transact('counts', (tx) => {
      const counts = { queued: 0, done: 0, dead: 0, cancelled: 0 };
      for (const { job } of tx.jobs.values()) counts[job.state] += 1;
      return counts;
    });
  }

  // EventOutbox ------------------------------------------------------------------------------

  /** Undelivered events due at `now` (first offered at `occurredAt`), in commit order, leased until `now + leaseSeconds`. */
  claimPending(request: ClaimPendingEvents): ResultAsync<readonly OutboxEvent[], StorageError> {
    const now = copyDate(request.now);
    const leasedUntil = new Date(now.getTime() + request.leaseSeconds * 1000);
    return this.#transact('claimPending', (tx) => {
      const due = [...tx.events.values()].filter((s) => s.event.deliveredAt === null && s.availableAt.getTime() <= now.getTime());
      const claimed = due.slice(0, boundedLimit(request.limit));
      for (const stored of claimed) tx.putEvent({ ...stored, availableAt: leasedUntil });
      return claimed.map(toEvent);
    });
  }

  /** Sets `deliveredAt` on undelivered events; an event delivered before keeps its first time; unknown ids are ignored. */
  markDelivered(eventIds: readonly string[], now: Date): ResultAsync<void, StorageError> {
    const at = copyDate(now);
    return this.#transact('markDelivered', (tx) => {
      for (const id of eventIds) {
        const stored = tx.events.get(id);
        if (stored !== undefined && stored.event.deliveredAt === null) tx.putEvent({ ...stored, event: { ...stored.event, deliveredAt: at } });
      }
      return undefined;
    });
  }

  /** `attempts + 1`, offered again at `retryAt`. Delivered or unknown events are left alone. */
  markFailed(eventId: string, failure: { readonly now: Date; readonly error: string; readonly retryAt: Date }): ResultAsync<void, StorageError> {
    const retryAt = copyDate(failure.retryAt);
    return this.#transact('markFailed', (tx) => {
      const stored = tx.events.get(eventId);
      if (stored === undefined || stored.event.deliveredAt !== null) return undefined;
      tx.putEvent({ event: { ...stored.event, attempts: stored.event.attempts + 1 }, availableAt: retryAt, lastError: failure.error });
      return undefined;
    });
  }

  /** In commit order. */
  listEvents(filter: { readonly imageId?: string; readonly delivered?: boolean; readonly limit?: number }): ResultAsync<readonly OutboxEvent[], StorageError> {
    return this.#transact('listEvents', (tx) =>
      [...tx.events.values()]
        .map(toEvent)
        .filter((e) => (filter.imageId === undefined || e.imageId === filter.imageId) && (filter.delivered === undefined || (e.deliveredAt !== null) === filter.delivered))
        .slice(0, boundedLimit(filter.limit)),
    );
  }
}
