// The PostgreSQL adapter: one store implementing the repository, catalog, job-queue and outbox ports over the host's pool.
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import {
  authorizeDelete,
  DEFAULT_RETRY_AFTER_SECONDS,
  isLive,
  newImageRecord,
  storageFault,
  storageUnavailable,
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
  type ImageCatalog,
  type ImageDataRecord,
  type ImageListQuery,
  type ImageLocation,
  type ImageMember,
  type ImagePatch,
  type ImageRepository,
  type JobCounts,
  type JobFailure,
  type MemberStatus,
  type NewImage,
  type OutboxEvent,
  type RestoreImageOutcome,
  type StorageError,
} from '@image-catalog/core';
import type { PgPool, PgQueryable } from './pg-pool.js';
import { PgRunner } from './pg-runner.js';
import { asDate, bySeq, oldestFirst, toEvent, toImage, toJob, type EventRow, type ImageRow, type JobRow } from './rows.js';
import { DEFAULT_SCHEMA, schemaName } from './schema-name.js';
import { imageStoreStatements, type ImageStoreStatements } from './statements.js';
import { isUniqueViolation } from './storage-errors.js';

export interface PostgresImageStoreOptions {
  /** Schema holding the tables, as passed to `migrate` (default `image_catalog`). */
  readonly schema?: string;
  /** Ids of new data-deletion jobs and of locations added by `attachImageData` (default: random UUIDs). */
  readonly newId?: () => string;
  /** `retryAfterSeconds` of the `StorageUnavailable` errors this store reports (default 5). */
  readonly retryAfterSeconds?: number;
  /** Runs of one transaction when PostgreSQL reports a serialization failure or deadlock (default 3). */
  readonly maxAttempts?: number;
  /**
   * How often `deleteImage` reads and decides again when the image changed between its read and
   * its guarded write (default 8). Past that the image is too busy: `StorageUnavailable`.
   */
  readonly maxDeleteRounds?: number;
}

type Conflict = { readonly kind: 'Conflict' };

/** The images primary key: the only unique violation that means "this id is taken". */
const IMAGES_PKEY = 'images_pkey';

/** A port `limit` as a SQL LIMIT value: absent or infinite is `null` (LIMIT ALL), nonsense is 0. */
function limitOf(limit: number | undefined): number | null {
  if (limit === undefined || limit === Infinity) return null;
  if (Number.isNaN(limit)) return 0;
  return Math.min(Math.max(0, Math.floor(limit)), Number.MAX_SAFE_INTEGER);
}

function copyDate(date: Date): Date {
  return new Date(date.getTime());
}

/** The image read back changed underneath in a way only a bug or a hand-edited database can cause. */
class StoreInvariantError extends Error {
  override readonly name = 'StoreInvariantError';
}

/** `deleteImage` lost its guarded write `maxDeleteRounds` times in a row. */
const CONTENDED = Symbol('contended');

/**
 * Implements `ImageRepository`, `ImageCatalog`, `DataDeletionJobQueue` and `EventOutbox` over the
 * caller's `pg.Pool` (migrated with `migrate`). Safe for any number of processes sharing one
 * database:
 * - `deleteImage` reads the image, decides (`NotFound`, `OwnerChanged` or `authorize`, `Protected`), and commits
 *   the whole cascade, jobs and event as ONE statement guarded by the row's `row_version`, which
 *   every other write to the image or its children bumps. A concurrent change makes the guarded
 *   write apply nothing, and the store reads and decides again: the decision always holds at
 *   commit, with no lock held between read and write and two round trips when uncontended.
 * - Writers that touch an image's children lock (and bump) the image row first, so the image row
 *   is always locked before child rows and no two writers deadlock on lock order.
 * - `claimDue` and `claimPending` lock with `FOR UPDATE SKIP LOCKED`: scrubbers and relays in
 *   several processes share the work without waiting for each other.
 * Nothing is thrown: failures come back as `StorageError` values (see `toStorageError`).
 *
 * The constructor cannot check the schema (that takes a round trip): open the store with
 * `createPostgresImageStore`, which refuses a schema that is not current, or construct it only
 * after `migrate(pool)` or `assertSchemaCurrent(pool)`.
 */
export class PostgresImageStore implements ImageRepository, ImageCatalog, DataDeletionJobQueue, EventOutbox {
  readonly #db: PgRunner;
  readonly #q: ImageStoreStatements;
  readonly #newId: () => string;
  readonly #retryAfter: number;
  readonly #maxDeleteRounds: number;

  constructor(pool: PgPool, options: PostgresImageStoreOptions = {}) {
    this.#retryAfter = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
    this.#db = new PgRunner(pool, { retryAfterSeconds: this.#retryAfter, maxAttempts: Math.max(1, options.maxAttempts ?? 3) });
    this.#q = imageStoreStatements(schemaName(options.schema ?? DEFAULT_SCHEMA));
    this.#newId = options.newId ?? (() => globalThis.crypto.randomUUID());
    this.#maxDeleteRounds = Math.max(1, options.maxDeleteRounds ?? 8);
  }

  async #readRow(db: PgQueryable, imageId: string): Promise<ImageRow | null> {
    const result = await db.query<ImageRow>(this.#q.findById([imageId]));
    return result.rows[0] ?? null;
  }

  async #readImage(db: PgQueryable, imageId: string): Promise<Image | null> {
    const row = await this.#readRow(db, imageId);
    return row === null ? null : toImage(row);
  }

  // ---- ImageRepository -------------------------------------------------------------------

  /** The image whatever its status; a deleted one reads back with the children it had when it was deleted. */
  findById(imageId: string): ResultAsync<Image | null, StorageError> {
    return this.#db.run((db) => this.#readImage(db, imageId));
  }

  /**
   * Conditions in the memory adapter's order: live (else `NotFound`), owner is `expectedOwner`
   * (else `OwnerChanged`) or, when `authorize` is given instead, its decision (`NotFound`,
   * `Forbidden`) on the row read in this round, not protected (else `Protected`). The write is one statement, applied
   * only if the image row is exactly the one the decision was made on.
   */
  deleteImage(request: DeleteImageRequest): ResultAsync<DeleteImageOutcome, StorageError> {
    return this.#db
      .run(async (db): Promise<DeleteImageOutcome | typeof CONTENDED> => {
        for (let round = 0; round < this.#maxDeleteRounds; round++) {
          const row = await this.#readRow(db, request.imageId);
          if (row === null) return { kind: 'NotFound' };
          const before = toImage(row);
          if (!isLive(before)) return { kind: 'NotFound' };
          if (request.authorize !== undefined) {
            // Decided on the row version the guarded write below is conditional on; a throw writes nothing.
            const decision = authorizeDelete(request, toImage(row));
            if (decision !== 'Allowed') return { kind: decision };
          } else if (before.owner !== request.expectedOwner) {
            return { kind: 'OwnerChanged' };
          }
          if (before.protected) return { kind: 'Protected' };

          const planned = this.#planDelete(before, request);
          const { jobs, event } = planned;
          const written = await db.query<{ deleted: number }>(
            this.#q.deleteImage([
              before.id,
              row.row_version,
              // With `authorize` the owner is whatever was authorised on; `row_version` pins it anyway.
              request.authorize !== undefined ? before.owner : request.expectedOwner,
              planned.image.status,
              request.deletedAt,
              request.jobsDueAt,
              jobs.map((j) => j.id),
              jobs.map((j) => j.locationId),
              jobs.map((j) => j.url),
              event.id,
              JSON.stringify(event.payload),
            ]),
          );
          if (written.rows[0]?.deleted === 1) return { kind: 'Deleted', ...planned };
          // The row changed since it was read (another delete, a protect, an upload...): decide again on what is there now.
        }
        return CONTENDED;
      })
      .andThen((outcome) => (outcome === CONTENDED ? errAsync(storageUnavailable(new Error(`image ${request.imageId} kept changing during its delete`), this.#retryAfter)) : okAsync(outcome)));
  }

  /** The committed image, its jobs and its event, as the guarded write will store them. */
  #planDelete(before: Image, request: DeleteImageRequest): Omit<Extract<DeleteImageOutcome, { kind: 'Deleted' }>, 'kind'> {
    const at = request.deletedAt.getTime();
    const active = before.locations.filter((l) => l.status === 'active');
    const status = request.delayed && active.length > 0 ? 'pending_delete' : 'deleted';
    const image: Image = {
      ...before,
      status,
      deleted: true,
      deletedAt: new Date(at),
      updatedAt: new Date(at),
      locations: before.locations.map((l): ImageLocation => (l.status === 'active' ? { ...l, status: 'pending_delete' } : l)),
    };
    const jobs = active.map(
      (location): DataDeletionJob => ({
        id: this.#newId(),
        imageId: before.id,
        locationId: location.id,
        url: location.url,
        state: 'queued',
        attempts: 0,
        availableAt: copyDate(request.jobsDueAt),
        lastError: null,
        createdAt: new Date(at),
        updatedAt: new Date(at),
      }),
    );
    const event: OutboxEvent = {
      id: request.eventId,
      type: 'image.delete',
      imageId: before.id,
      payload: toNotificationPayload(image),
      occurredAt: new Date(at),
      deliveredAt: null,
      attempts: 0,
    };
    return { image, jobs, event };
  }

  /**
   * Restorable: a `pending_delete` image none of whose jobs is `done` or was ever claimed by a
   * scrubber (`DataAlreadyDeleted` otherwise: a claimed job's data may be being deleted right
   * now, and a restore must never race that). Status `active` (or the status before the delete
   * when it has no location), children un-deleted, queued and dead jobs `cancelled`, the
   * `image.delete` event kept. One transaction; the image and then its jobs are locked first.
   */
  restoreImage(imageId: string, now: Date): ResultAsync<RestoreImageOutcome, StorageError> {
    return this.#db.transaction(async (tx): Promise<RestoreImageOutcome> => {
      const locked = await tx.query<{ status: Image['status']; deleted_at: Date | null }>(this.#q.lockImage([imageId]));
      const current = locked.rows[0];
      if (current === undefined) return { kind: 'NotFound' };
      if (current.status !== 'pending_delete' || current.deleted_at === null) return { kind: 'NotPendingDelete', status: current.status };

      const blocked = await tx.query<{ blocked: boolean }>(this.#q.restoreBlocked([imageId, current.deleted_at]));
      if (blocked.rows[0]?.blocked === true) return { kind: 'DataAlreadyDeleted' };

      const restored = await tx.query<{ restored: number }>(this.#q.restoreImage([imageId, now, current.deleted_at]));
      if (restored.rows[0]?.restored !== 1) throw new StoreInvariantError(`image ${imageId} was locked pending_delete but not restored`);
      const image = await this.#readImage(tx, imageId);
      if (image === null) throw new StoreInvariantError(`image ${imageId} vanished during its restore`);
      return { kind: 'Restored', image };
    });
  }

  // ---- ImageCatalog ----------------------------------------------------------------------

  /** One statement; an id taken by any image, deleted or not, is a `Conflict` and writes nothing. */
  createImage(input: NewImage, now: Date): ResultAsync<Image, StorageError | Conflict> {
    let record: Image;
    try {
      // A copy: what is returned must alias neither the input nor `now`.
      record = structuredClone(newImageRecord(input, copyDate(now)));
    } catch (cause) {
      return errAsync(storageFault(cause));
    }
    const properties = Object.entries(record.properties);
    const created = this.#db.run(async (db) => {
      try {
        const result = await db.query<{ created: number }>(
          this.#q.createImage([
            record.id, record.name, record.owner, record.status, record.visibility, record.protected,
            record.size, record.virtualSize, record.checksum, record.osHashAlgo, record.osHashValue,
            record.diskFormat, record.containerFormat, record.minDisk, record.minRam,
            record.createdAt, record.updatedAt, record.deleted, record.deletedAt,
            properties.map(([name]) => name), properties.map(([, value]) => value),
            [...record.tags],
            record.members.map((m) => m.memberId), record.members.map((m) => m.status),
            record.locations.map((l) => l.id), record.locations.map((l) => l.url),
            record.locations.map((l) => JSON.stringify(l.metadata)), record.locations.map((l) => l.status),
          ]),
        );
        return result.rows[0]?.created === 1;
      } catch (cause) {
        // ON CONFLICT covers the id; this is the same answer for a race it cannot see (e.g. a deferred check).
        if (isUniqueViolation(cause, IMAGES_PKEY)) return false;
        throw cause;
      }
    });
    return created.andThen((inserted): ResultAsync<Image, StorageError | Conflict> => (inserted ? okAsync(record) : errAsync({ kind: 'Conflict' } as const)));
  }

  /** Live images, oldest first (`created_at`, then creation order), optionally with exactly `name`. */
  listImages(query: ImageListQuery): ResultAsync<readonly Image[], StorageError> {
    return this.#db.run(async (db) => {
      const limit = limitOf(query.limit);
      const statement = query.name === undefined ? this.#q.listLive([limit]) : this.#q.listLiveByName([query.name, limit]);
      return (await db.query<ImageRow>(statement)).rows.map(toImage);
    });
  }

  /**
   * Applies the fields `patch` defines and sets `updatedAt`, only on a live image. A patch moving
   * the status to `deleted` or `pending_delete` is refused with `StorageFault`: only `deleteImage`
   * writes the cascade, the jobs and the event.
   */
  updateImage(imageId: string, patch: ImagePatch, now: Date): ResultAsync<Image | null, StorageError> {
    if (patch.status === 'deleted' || patch.status === 'pending_delete') {
      return errAsync(storageFault(new Error(`updateImage cannot set status ${patch.status}; use deleteImage`)));
    }
    return this.#db.transaction(async (tx) => {
      const updated = await tx.query(
        this.#q.updateImage([
          imageId,
          patch.name !== undefined,
          patch.name ?? null,
          patch.visibility ?? null,
          patch.protected ?? null,
          patch.status ?? null,
          now,
        ]),
      );
      return updated.rowCount === 0 ? null : this.#readImage(tx, imageId);
    });
  }

  /** A new member starts `pending`; an existing one is returned unchanged; the image's `updatedAt` is not touched. */
  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError> {
    type MemberRow = { member_id: string; status: MemberStatus; created_at: Date; updated_at: Date };
    return this.#db.transaction(async (tx) => {
      if ((await tx.query(this.#q.touchLiveImage([imageId]))).rowCount === 0) return null;
      const inserted = await tx.query<MemberRow>(this.#q.addMember([imageId, memberId, now]));
      const row = inserted.rows[0] ?? (await tx.query<MemberRow>(this.#q.selectMember([imageId, memberId]))).rows[0];
      if (row === undefined) throw new StoreInvariantError(`member ${memberId} of ${imageId} vanished`);
      return { memberId: row.member_id, status: row.status, createdAt: asDate(row.created_at), updatedAt: asDate(row.updated_at) };
    });
  }

  /** Appends an active location and makes the image `active` with the data's size and digests. */
  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError> {
    return this.#db.transaction(async (tx) => {
      const updated = await tx.query(this.#q.attachData([imageId, data.size, data.checksum, data.osHashAlgo, data.osHashValue, now]));
      if (updated.rowCount === 0) return null;
      await tx.query(this.#q.addLocation([imageId, this.#newId(), data.url, JSON.stringify(data.metadata ?? {})]));
      return this.#readImage(tx, imageId);
    });
  }

  // ---- DataDeletionJobQueue --------------------------------------------------------------

  /**
   * Queued jobs due at `now`, oldest first, leased until `now + leaseSeconds`, each claim
   * counted (a claimed job's image can no longer be restored). Jobs another process is claiming
   * right now are skipped, not waited for.
   */
  claimDue(request: ClaimDueJobs): ResultAsync<readonly DataDeletionJob[], StorageError> {
    const limit = limitOf(request.limit);
    if (limit === 0) return okAsync([]);
    const leasedUntil = new Date(request.now.getTime() + request.leaseSeconds * 1000);
    return this.#db.run(async (db) => oldestFirst((await db.query<JobRow>(this.#q.claimJobs([request.now, leasedUntil, limit]))).rows).map(toJob));
  }

  /**
   * The job becomes `done` and its location `deleted`; a `pending_delete` image left with no
   * queued or dead job becomes `deleted`. One transaction that locks the image first, so the
   * last two jobs of an image completing at once cannot both think the other is outstanding.
   */
  complete(jobId: string, now: Date): ResultAsync<void, StorageError> {
    return this.#db.transaction(async (tx) => {
      const locked = await tx.query(this.#q.lockImageOfJob([jobId]));
      if (locked.rowCount === 0) return;
      await tx.query(this.#q.completeJob([jobId, now]));
    });
  }

  /** `attempts + 1`, `lastError`; due again at `retryAt`, or `dead` when it is `null`. Jobs not queued are left alone. */
  fail(jobId: string, failure: JobFailure): ResultAsync<void, StorageError> {
    return this.#db.run(async (db) => {
      await db.query(this.#q.failJob([jobId, failure.error, failure.now, failure.retryAt]));
    });
  }

  /** Oldest first (`created_at`, then insertion order). */
  listJobs(filter: { readonly imageId?: string; readonly state?: DataDeletionJobState; readonly limit?: number }): ResultAsync<readonly DataDeletionJob[], StorageError> {
    return this.#db.run(async (db) => {
      const values: unknown[] = [limitOf(filter.limit)];
      if (filter.imageId !== undefined) values.push(filter.imageId);
      if (filter.state !== undefined) values.push(filter.state);
      const statement = this.#q.listJobs(filter.imageId !== undefined, filter.state !== undefined);
      return (await db.query<JobRow>(statement(values))).rows.map(toJob);
    });
  }

  /** Dead jobs (all, or those of `jobIds`; an empty list requeues none) become queued, due at `now`, attempts 0; `lastError` is kept. */
  requeueDead(now: Date, jobIds?: readonly string[]): ResultAsync<number, StorageError> {
    if (jobIds !== undefined && jobIds.length === 0) return okAsync(0);
    return this.#db.run(async (db) => {
      const result = await db.query(jobIds === undefined ? this.#q.requeueAllDead([now]) : this.#q.requeueDeadIds([now, [...jobIds]]));
      return result.rowCount ?? 0;
    });
  }

  counts(): ResultAsync<JobCounts, StorageError> {
    return this.#db.run(async (db) => {
      const counts = { queued: 0, done: 0, dead: 0, cancelled: 0 };
      for (const row of (await db.query<{ state: DataDeletionJobState; n: number }>(this.#q.countJobs())).rows) counts[row.state] = row.n;
      return counts;
    });
  }

  // ---- EventOutbox -----------------------------------------------------------------------

  /**
   * Undelivered events due at `now`, in `seq` order, leased until `now + leaseSeconds`; events
   * another relay is claiming right now are skipped. `seq` is insertion order: events of
   * transactions committing at the same moment may become visible slightly out of it, and are
   * then offered on the next claim (no high-water mark, so none is skipped for good).
   */
  claimPending(request: ClaimPendingEvents): ResultAsync<readonly OutboxEvent[], StorageError> {
    const limit = limitOf(request.limit);
    if (limit === 0) return okAsync([]);
    const leasedUntil = new Date(request.now.getTime() + request.leaseSeconds * 1000);
    return this.#db.run(async (db) => bySeq((await db.query<EventRow>(this.#q.claimEvents([request.now, leasedUntil, limit]))).rows).map(toEvent));
  }

  /** Sets `deliveredAt` on undelivered events; an event delivered before keeps its first time; unknown ids are ignored. */
  markDelivered(eventIds: readonly string[], now: Date): ResultAsync<void, StorageError> {
    if (eventIds.length === 0) return okAsync(undefined);
    return this.#db.run(async (db) => {
      await db.query(this.#q.markDelivered([now, [...eventIds]]));
    });
  }

  /** `attempts + 1`, offered again at `retryAt`. Delivered or unknown events are left alone. */
  markFailed(eventId: string, failure: { readonly now: Date; readonly error: string; readonly retryAt: Date }): ResultAsync<void, StorageError> {
    return this.#db.run(async (db) => {
      await db.query(this.#q.markEventFailed([eventId, failure.error, failure.retryAt]));
    });
  }

  /** In `seq` order. */
  listEvents(filter: { readonly imageId?: string; readonly delivered?: boolean; readonly limit?: number }): ResultAsync<readonly OutboxEvent[], StorageError> {
    return this.#db.run(async (db) => {
      const values: unknown[] = [limitOf(filter.limit)];
      if (filter.imageId !== undefined) values.push(filter.imageId);
      const statement = this.#q.listEvents(filter.imageId !== undefined, filter.delivered);
      return (await db.query<EventRow>(statement(values))).rows.map(toEvent);
    });
  }
}
