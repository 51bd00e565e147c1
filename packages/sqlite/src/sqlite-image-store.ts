// The SQLite adapter: one store implementing the repository, catalog, job-queue and outbox ports.
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type BetterSqlite3 from 'better-sqlite3';
import {
  authorizeDelete,
  DEFAULT_RETRY_AFTER_SECONDS,
  newImageRecord,
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
import { pendingMigrations } from './migrations.js';
import {
  bySeq,
  oldestFirst,
  EVENT_COLUMNS,
  isLiveRow,
  JOB_COLUMNS,
  liveWhere,
  SELECT_IMAGE,
  toEvent,
  toImage,
  toJob,
  type EventRow,
  type ImageRow,
  type JobRow,
} from './rows.js';
import { DeleteGroupCommitter, resolveGroupCommit, type GroupCommitOptions } from './group-commit.js';
import { runSync } from './storage-errors.js';

export interface SqliteImageStoreOptions {
  /** Ids for new data-deletion jobs and uploaded-data locations (default: random UUIDs). */
  readonly newId?: () => string;
  /** `retryAfterSeconds` of the `StorageUnavailable` errors this store reports (default 5). */
  readonly retryAfterSeconds?: number;
  /**
   * Group commit for `deleteImage` (default off): deletes issued in the same event-loop turn are
   * committed by one `BEGIN IMMEDIATE … COMMIT`, each in its own savepoint, so a durable
   * (`synchronous: 'FULL'`) database pays one fsync per batch instead of one per delete. Each
   * request still gets its own outcome or error, settled after the COMMIT. `true` uses the
   * defaults (`maxBatch` 64, flush on `setImmediate`). Other methods are not batched.
   */
  readonly groupCommit?: boolean | GroupCommitOptions;
}

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

/** A port `limit` as SQLite's LIMIT: absent or infinite is -1 ("no limit"), nonsense is 0. */
function limitOf(limit: number | undefined): number {
  if (limit === undefined || limit === Infinity) return -1;
  return Number.isNaN(limit) ? 0 : Math.max(0, Math.floor(limit));
}

/** A failure that only a bug or a tampered database can cause; it rolls the transaction back. */
class StoreInvariantError extends Error {
  override readonly name = 'StoreInvariantError';
}

/**
 * Implements `ImageRepository`, `ImageCatalog`, `DataDeletionJobQueue` and `EventOutbox` over the
 * caller's better-sqlite3 `Database` (opened with {@link openDatabase} or migrated with `migrate`).
 * Every port method is one statement or one BEGIN IMMEDIATE transaction: taking the write lock
 * up front makes read-then-write inside it safe against other connections and processes, and
 * a transaction never has to be upgraded (which could fail with SQLITE_BUSY without waiting).
 * Statements are prepared once, here.
 */
export class SqliteImageStore implements ImageRepository, ImageCatalog, DataDeletionJobQueue, EventOutbox {
  readonly #db: BetterSqlite3.Database;
  readonly #newId: () => string;
  readonly #retryAfter: number;
  readonly #s: ReturnType<typeof prepareStatements>;
  readonly #listCache = new Map<string, Statement>();

  readonly #deleteTx: (request: DeleteImageRequest) => DeleteImageOutcome;
  readonly #restoreTx: (imageId: string, now: Date) => RestoreImageOutcome;
  readonly #createTx: (image: Image) => Image | null;
  readonly #updateTx: (imageId: string, patch: ImagePatch, now: Date) => Image | null;
  readonly #addMemberTx: (imageId: string, memberId: string, now: Date) => ImageMember | null;
  readonly #attachTx: (imageId: string, data: ImageDataRecord, now: Date) => Image | null;
  readonly #completeTx: (jobId: string, now: Date) => void;
  readonly #group: DeleteGroupCommitter | null;

  constructor(db: BetterSqlite3.Database, options: SqliteImageStoreOptions = {}) {
    const pending = pendingMigrations(db);
    if (pending.length > 0) {
      const names = pending.map((m) => `${m.version} (${m.name})`).join(', ');
      throw new Error(
        `SqliteImageStore: the database schema is not current (pending migrations: ${names}); open it with openDatabase(), run migrate(db), or run image-catalog-sqlite-migrate <db-file> first`,
      );
    }
    this.#db = db;
    this.#newId = options.newId ?? (() => globalThis.crypto.randomUUID());
    this.#retryAfter = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
    this.#s = prepareStatements(db);

    const immediate = <A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) => {
      const tx = db.transaction(fn);
      return (...args: A) => tx.immediate(...args);
    };
    this.#deleteTx = immediate((request: DeleteImageRequest) => this.#deleteInTx(request));
    this.#restoreTx = immediate((imageId: string, now: Date) => this.#restoreInTx(imageId, now));
    this.#createTx = immediate((image: Image) => this.#createInTx(image));
    this.#updateTx = immediate((imageId: string, patch: ImagePatch, now: Date) => this.#updateInTx(imageId, patch, now));
    this.#addMemberTx = immediate((imageId: string, memberId: string, now: Date) => this.#addMemberInTx(imageId, memberId, now));
    this.#attachTx = immediate((imageId: string, data: ImageDataRecord, now: Date) => this.#attachInTx(imageId, data, now));
    this.#completeTx = immediate((jobId: string, now: Date) => this.#completeInTx(jobId, now));
    const group = resolveGroupCommit(options.groupCommit);
    this.#group = group === null ? null : new DeleteGroupCommitter(db, (request) => this.#deleteInTx(request), this.#retryAfter, group);
  }

  #run<T>(work: () => T): ResultAsync<T, StorageError> {
    return runSync(work, this.#retryAfter);
  }

  #readImage(imageId: string): Image | null {
    const row = this.#s.selectImage.get(imageId) as ImageRow | undefined;
    return row === undefined ? null : toImage(row);
  }

  // ---- ImageRepository -------------------------------------------------------------------

  findById(imageId: string): ResultAsync<Image | null, StorageError> {
    return this.#run(() => this.#readImage(imageId));
  }

  /**
   * With `groupCommit` the request joins the current batch (see `DeleteGroupCommitter`) and
   * settles after the batch's COMMIT; otherwise it is its own BEGIN IMMEDIATE transaction.
   */
  deleteImage(request: DeleteImageRequest): ResultAsync<DeleteImageOutcome, StorageError> {
    if (this.#group !== null) return this.#group.submit(request);
    return this.#run(() => this.#deleteTx(request));
  }

  /** Runs inside BEGIN IMMEDIATE (or one request's savepoint of a group-commit batch): the row read here is the row the commit applies to. */
  #deleteInTx(request: DeleteImageRequest): DeleteImageOutcome {
    const s = this.#s;
    const { imageId } = request;
    const row = s.selectImage.get(imageId) as ImageRow | undefined;
    if (row === undefined || !isLiveRow(row)) return { kind: 'NotFound' };
    const before = toImage(row);
    if (request.authorize !== undefined) {
      // Decided on the row this transaction holds the write lock on; a throw rolls it back.
      const decision = authorizeDelete(request, before);
      if (decision !== 'Allowed') return { kind: decision };
    } else if (row.owner !== request.expectedOwner) {
      // Owner before protection: a caller that lost the image to another project learns nothing about it.
      return { kind: 'OwnerChanged' };
    }
    if (row.protected === 1) return { kind: 'Protected' };

    const at = request.deletedAt.getTime();
    const dueAt = request.jobsDueAt.getTime();
    // Fresh dates: what is returned must not alias the caller's request.
    const deletedAt = new Date(at);
    const jobsDueAt = new Date(dueAt);
    const active = before.locations.filter((l) => l.status === 'active');
    const status = request.delayed && active.length > 0 ? 'pending_delete' : 'deleted';

    if (s.markImageDeleted.run(status, at, at, imageId).changes !== 1) {
      throw new StoreInvariantError(`image ${imageId} changed inside its own write transaction`);
    }
    // Skipping empty child tables keeps a plain image's delete to a handful of statements.
    if (Object.keys(before.properties).length > 0) s.softDeleteProperties.run(at, imageId);
    if (before.tags.length > 0) s.softDeleteTags.run(at, imageId);
    if (before.members.length > 0) s.softDeleteMembers.run(at, imageId);
    if (before.locations.length > 0) s.softDeleteLocations.run(at, imageId);

    const jobs: DataDeletionJob[] = active.map((location) => {
      const job: DataDeletionJob = {
        id: this.#newId(),
        imageId,
        locationId: location.id,
        url: location.url,
        state: 'queued',
        attempts: 0,
        availableAt: jobsDueAt,
        lastError: null,
        createdAt: deletedAt,
        updatedAt: deletedAt,
      };
      s.insertJob.run(job.id, imageId, location.id, location.url, dueAt, at, at);
      return job;
    });

    const image: Image = {
      ...before,
      status,
      updatedAt: deletedAt,
      deleted: true,
      deletedAt,
      locations: before.locations.map((l): ImageLocation => (l.status === 'active' ? { ...l, status: 'pending_delete' } : l)),
    };
    const payload = toNotificationPayload(image);
    s.insertEvent.run(request.eventId, imageId, JSON.stringify(payload), at, at);
    const event: OutboxEvent = {
      id: request.eventId,
      type: 'image.delete',
      imageId,
      payload,
      occurredAt: deletedAt,
      deliveredAt: null,
      attempts: 0,
    };
    return { kind: 'Deleted', image, jobs, event };
  }

  /**
   * Refused with `DataAlreadyDeleted` when some of the data is already gone or being deleted: a
   * location is `deleted`, or a job of the image is `done` or has ever been claimed
   * (`claimed_at`), even if it is still `queued`. `claimDue` and this run under the same write
   * lock, so either the claim commits first and this refuses, or this does and cancels the jobs
   * before any claim can hand them out.
   */
  restoreImage(imageId: string, now: Date): ResultAsync<RestoreImageOutcome, StorageError> {
    return this.#run(() => this.#restoreTx(imageId, now));
  }

  #restoreInTx(imageId: string, now: Date): RestoreImageOutcome {
    const s = this.#s;
    const row = s.selectImage.get(imageId) as ImageRow | undefined;
    if (row === undefined) return { kind: 'NotFound' };
    if (row.status !== 'pending_delete' || row.deleted_at === null) return { kind: 'NotPendingDelete', status: row.status };
    const before = toImage(row);
    if (before.locations.some((l) => l.status === 'deleted') || s.hasTouchedJob.get(imageId) !== undefined) return { kind: 'DataAlreadyDeleted' };

    const at = now.getTime();
    const deletedAt = row.deleted_at;
    s.restoreImage.run(before.locations.length > 0 ? 1 : 0, at, imageId);
    s.restoreProperties.run(imageId, deletedAt);
    s.restoreTags.run(imageId, deletedAt);
    s.restoreMembers.run(imageId, deletedAt);
    s.restoreLocations.run(imageId, deletedAt);
    // Dead jobs are cancelled too (none was ever claimed, or we would not be here): requeueing one
    // later would delete the data of a live image.
    s.cancelJobs.run(at, imageId);
    const image = this.#readImage(imageId);
    if (image === null) throw new StoreInvariantError(`image ${imageId} vanished during restore`);
    return { kind: 'Restored', image };
  }

  // ---- ImageCatalog ----------------------------------------------------------------------

  createImage(input: NewImage, now: Date): ResultAsync<Image, StorageError | { readonly kind: 'Conflict' }> {
    return this.#run(() => this.#createTx(newImageRecord(input, now))).andThen((created) => (created === null ? errAsync({ kind: 'Conflict' } as const) : okAsync(created)));
  }

  /** The image as stored (read back, so nothing returned aliases the input), or `null` when the id is taken. */
  #createInTx(image: Image): Image | null {
    const s = this.#s;
    const at = image.createdAt.getTime();
    const deleted = image.deleted ? 1 : 0;
    const inserted = s.insertImage.run(
      image.id, image.name, image.owner, image.status, image.visibility, image.protected ? 1 : 0,
      image.size, image.virtualSize, image.checksum, image.osHashAlgo, image.osHashValue,
      image.diskFormat, image.containerFormat, image.minDisk, image.minRam,
      at, image.updatedAt.getTime(), deleted, image.deletedAt?.getTime() ?? null,
    );
    if (inserted.changes === 0) return null;
    Object.entries(image.properties).forEach(([name, value], i) => s.insertProperty.run(image.id, name, value, i));
    image.tags.forEach((tag, i) => s.insertTag.run(image.id, tag, i));
    image.members.forEach((m, i) =>
      s.insertMember.run(image.id, m.memberId, m.status, i, m.createdAt.getTime(), m.updatedAt.getTime()),
    );
    image.locations.forEach((l, i) => s.insertLocation.run(image.id, l.id, l.url, JSON.stringify(l.metadata), l.status, i));
    return this.#readImage(image.id);
  }

  listImages(query: ImageListQuery): ResultAsync<readonly Image[], StorageError> {
    return this.#run(() => {
      const limit = limitOf(query.limit);
      const rows = (query.name === undefined ? this.#s.listLive.all(limit) : this.#s.listLiveByName.all(query.name, limit)) as ImageRow[];
      return rows.map(toImage);
    });
  }

  /**
   * A patch moving the status to `deleted` or `pending_delete` is refused with `StorageFault`:
   * only `deleteImage` may do that, because only it writes the cascade, the jobs and the event.
   */
  updateImage(imageId: string, patch: ImagePatch, now: Date): ResultAsync<Image | null, StorageError> {
    if (patch.status === 'deleted' || patch.status === 'pending_delete') {
      return errAsync(storageFault(new Error(`updateImage cannot set status ${patch.status}; use deleteImage`)));
    }
    return this.#run(() => this.#updateTx(imageId, patch, now));
  }

  #updateInTx(imageId: string, patch: ImagePatch, now: Date): Image | null {
    const changed = this.#s.updateImage.run({
      id: imageId,
      setName: patch.name !== undefined ? 1 : 0,
      name: patch.name ?? null,
      visibility: patch.visibility ?? null,
      protected: patch.protected === undefined ? null : patch.protected ? 1 : 0,
      status: patch.status ?? null,
      now: now.getTime(),
    });
    return changed.changes === 0 ? null : this.#readImage(imageId);
  }

  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError> {
    return this.#run(() => this.#addMemberTx(imageId, memberId, now));
  }

  #addMemberInTx(imageId: string, memberId: string, now: Date): ImageMember | null {
    const s = this.#s;
    if (s.isLive.get(imageId) === undefined) return null;
    s.addMember.run({ imageId, memberId, now: now.getTime() });
    const row = s.selectMember.get(imageId, memberId) as { member_id: string; status: MemberStatus; created_at: number; updated_at: number } | undefined;
    if (row === undefined) throw new StoreInvariantError(`member ${memberId} of ${imageId} vanished`);
    return { memberId: row.member_id, status: row.status, createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at) };
  }

  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError> {
    return this.#run(() => this.#attachTx(imageId, data, now));
  }

  #attachInTx(imageId: string, data: ImageDataRecord, now: Date): Image | null {
    const s = this.#s;
    const changed = s.attachData.run({
      id: imageId,
      size: data.size,
      checksum: data.checksum,
      algo: data.osHashAlgo,
      value: data.osHashValue,
      now: now.getTime(),
    });
    if (changed.changes === 0) return null;
    s.addLocation.run({ imageId, id: this.#newId(), url: data.url, metadata: JSON.stringify(data.metadata ?? {}) });
    return this.#readImage(imageId);
  }

  // ---- DataDeletionJobQueue --------------------------------------------------------------

  /**
   * One UPDATE … RETURNING: leases due queued jobs and stamps `claimed_at` (the first claim's time
   * is kept), which from then on stops `restoreImage` for their images.
   */
  claimDue(request: ClaimDueJobs): ResultAsync<readonly DataDeletionJob[], StorageError> {
    return this.#run(() => {
      const limit = limitOf(request.limit);
      if (limit === 0) return [];
      const now = request.now.getTime();
      const rows = this.#s.claimJobs.all({ leasedUntil: now + request.leaseSeconds * 1000, now, limit }) as JobRow[];
      return oldestFirst(rows).map(toJob);
    });
  }

  complete(jobId: string, now: Date): ResultAsync<void, StorageError> {
    return this.#run(() => this.#completeTx(jobId, now));
  }

  #completeInTx(jobId: string, now: Date): void {
    const s = this.#s;
    const at = now.getTime();
    const job = s.completeJob.get(at, jobId) as { image_id: string; location_id: string } | undefined;
    if (job === undefined) return;
    s.markLocationDeleted.run(job.image_id, job.location_id);
    s.finishPendingDelete.run({ now: at, imageId: job.image_id });
  }

  fail(jobId: string, failure: JobFailure): ResultAsync<void, StorageError> {
    return this.#run(() => {
      this.#s.failJob.run({
        id: jobId,
        error: failure.error,
        now: failure.now.getTime(),
        retryAt: failure.retryAt === null ? null : failure.retryAt.getTime(),
      });
    });
  }

  listJobs(filter: { readonly imageId?: string; readonly state?: DataDeletionJobState; readonly limit?: number }): ResultAsync<readonly DataDeletionJob[], StorageError> {
    return this.#run(() => {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: limitOf(filter.limit) };
      if (filter.imageId !== undefined) {
        where.push('image_id = @imageId');
        params['imageId'] = filter.imageId;
      }
      if (filter.state !== undefined) {
        where.push('state = @state');
        params['state'] = filter.state;
      }
      const sql = `SELECT ${JOB_COLUMNS} FROM data_deletion_jobs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, seq LIMIT @limit`;
      return (this.#cached(sql).all(params) as JobRow[]).map(toJob);
    });
  }

  /** Only `dead` jobs come back (a job a restore `cancelled` never does, whatever ids are given); `claimed_at` is kept. */
  requeueDead(now: Date, jobIds?: readonly string[]): ResultAsync<number, StorageError> {
    return this.#run(() => {
      const at = now.getTime();
      const changed = jobIds === undefined ? this.#s.requeueAllDead.run(at, at) : this.#s.requeueDeadIds.run(at, at, JSON.stringify(jobIds));
      return changed.changes;
    });
  }

  counts(): ResultAsync<JobCounts, StorageError> {
    return this.#run(() => {
      const counts = { queued: 0, done: 0, dead: 0, cancelled: 0 };
      for (const row of this.#s.countJobs.all() as { state: DataDeletionJobState; n: number }[]) counts[row.state] = row.n;
      return counts;
    });
  }

  // ---- EventOutbox -----------------------------------------------------------------------

  claimPending(request: ClaimPendingEvents): ResultAsync<readonly OutboxEvent[], StorageError> {
    return this.#run(() => {
      const limit = limitOf(request.limit);
      if (limit === 0) return [];
      const now = request.now.getTime();
      const rows = this.#s.claimEvents.all(now + request.leaseSeconds * 1000, now, limit) as EventRow[];
      return bySeq(rows).map(toEvent);
    });
  }

  markDelivered(eventIds: readonly string[], now: Date): ResultAsync<void, StorageError> {
    return this.#run(() => {
      if (eventIds.length > 0) this.#s.markDelivered.run(now.getTime(), JSON.stringify(eventIds));
    });
  }

  markFailed(eventId: string, failure: { readonly now: Date; readonly error: string; readonly retryAt: Date }): ResultAsync<void, StorageError> {
    return this.#run(() => {
      this.#s.markEventFailed.run(failure.error, failure.retryAt.getTime(), eventId);
    });
  }

  listEvents(filter: { readonly imageId?: string; readonly delivered?: boolean; readonly limit?: number }): ResultAsync<readonly OutboxEvent[], StorageError> {
    return this.#run(() => {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: limitOf(filter.limit) };
      if (filter.imageId !== undefined) {
        where.push('image_id = @imageId');
        params['imageId'] = filter.imageId;
      }
      if (filter.delivered !== undefined) where.push(filter.delivered ? 'delivered_at IS NOT NULL' : 'delivered_at IS NULL');
      const sql = `SELECT ${EVENT_COLUMNS} FROM outbox_events ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT @limit`;
      return (this.#cached(sql).all(params) as EventRow[]).map(toEvent);
    });
  }

  /** Filtered listings come in a few shapes; each is prepared once, on first use. */
  #cached(sql: string): Statement {
    let statement = this.#listCache.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#listCache.set(sql, statement);
    }
    return statement;
  }
}

function prepareStatements(db: BetterSqlite3.Database) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    selectImage: p(`${SELECT_IMAGE} WHERE i.id = ?`),
    isLive: p(`SELECT 1 FROM images i WHERE i.id = ? AND ${liveWhere('i')}`),
    listLive: p(`${SELECT_IMAGE} WHERE ${liveWhere('i')} ORDER BY i.created_at, i.seq LIMIT ?`),
    listLiveByName: p(`${SELECT_IMAGE} WHERE ${liveWhere('i')} AND i.name = ? ORDER BY i.created_at, i.seq LIMIT ?`),

    // delete
    markImageDeleted: p(
      'UPDATE images SET status_before_delete = status, status = ?, deleted = 1, deleted_at = ?, updated_at = ? WHERE id = ? AND deleted = 0',
    ),
    softDeleteProperties: p('UPDATE image_properties SET deleted = 1, deleted_at = ? WHERE image_id = ? AND deleted = 0'),
    softDeleteTags: p('UPDATE image_tags SET deleted = 1, deleted_at = ? WHERE image_id = ? AND deleted = 0'),
    softDeleteMembers: p('UPDATE image_members SET deleted = 1, deleted_at = ? WHERE image_id = ? AND deleted = 0'),
    softDeleteLocations: p(
      "UPDATE image_locations SET status = CASE status WHEN 'active' THEN 'pending_delete' ELSE status END, deleted = 1, deleted_at = ? WHERE image_id = ? AND deleted = 0",
    ),
    insertJob: p(
      "INSERT INTO data_deletion_jobs (id, image_id, location_id, url, state, attempts, available_at, last_error, created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, NULL, ?, ?)",
    ),
    insertEvent: p(
      "INSERT INTO outbox_events (id, type, image_id, payload, occurred_at, available_at) VALUES (?, 'image.delete', ?, ?, ?, ?)",
    ),

    // restore
    restoreImage: p(
      "UPDATE images SET status = CASE WHEN ? THEN 'active' ELSE coalesce(status_before_delete, 'active') END, status_before_delete = NULL, deleted = 0, deleted_at = NULL, updated_at = ? WHERE id = ? AND status = 'pending_delete'",
    ),
    restoreProperties: p('UPDATE image_properties SET deleted = 0, deleted_at = NULL WHERE image_id = ? AND deleted = 1 AND deleted_at = ?'),
    restoreTags: p('UPDATE image_tags SET deleted = 0, deleted_at = NULL WHERE image_id = ? AND deleted = 1 AND deleted_at = ?'),
    restoreMembers: p('UPDATE image_members SET deleted = 0, deleted_at = NULL WHERE image_id = ? AND deleted = 1 AND deleted_at = ?'),
    restoreLocations: p(
      "UPDATE image_locations SET status = CASE status WHEN 'pending_delete' THEN 'active' ELSE status END, deleted = 0, deleted_at = NULL WHERE image_id = ? AND deleted = 1 AND deleted_at = ?",
    ),
    hasTouchedJob: p("SELECT 1 FROM data_deletion_jobs WHERE image_id = ? AND (state = 'done' OR claimed_at IS NOT NULL) LIMIT 1"),
    cancelJobs: p("UPDATE data_deletion_jobs SET state = 'cancelled', updated_at = ? WHERE image_id = ? AND state IN ('queued', 'dead')"),

    // catalog
    insertImage: p(
      `INSERT INTO images (id, name, owner, status, visibility, protected, size, virtual_size, checksum, os_hash_algo, os_hash_value,
         disk_format, container_format, min_disk, min_ram, created_at, updated_at, deleted, deleted_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    ),
    insertProperty: p('INSERT INTO image_properties (image_id, name, value, position) VALUES (?, ?, ?, ?)'),
    insertTag: p('INSERT INTO image_tags (image_id, value, position) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    insertMember: p(
      'INSERT INTO image_members (image_id, member_id, status, position, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    insertLocation: p('INSERT INTO image_locations (image_id, id, url, metadata, status, position) VALUES (?, ?, ?, ?, ?, ?)'),
    updateImage: p(
      `UPDATE images SET name = CASE WHEN @setName THEN @name ELSE name END, visibility = coalesce(@visibility, visibility),
         protected = coalesce(@protected, protected), status = coalesce(@status, status), updated_at = @now
       WHERE id = @id AND ${liveWhere('images')}`,
    ),
    addMember: p(
      `INSERT INTO image_members (image_id, member_id, status, position, created_at, updated_at)
       VALUES (@imageId, @memberId, 'pending', (SELECT coalesce(max(position) + 1, 0) FROM image_members WHERE image_id = @imageId), @now, @now)
       ON CONFLICT DO NOTHING`,
    ),
    selectMember: p('SELECT member_id, status, created_at, updated_at FROM image_members WHERE image_id = ? AND member_id = ?'),
    attachData: p(
      `UPDATE images SET size = @size, checksum = @checksum, os_hash_algo = @algo, os_hash_value = @value, status = 'active', updated_at = @now
       WHERE id = @id AND ${liveWhere('images')}`,
    ),
    addLocation: p(
      `INSERT INTO image_locations (image_id, id, url, metadata, status, position)
       VALUES (@imageId, @id, @url, @metadata, 'active', (SELECT coalesce(max(position) + 1, 0) FROM image_locations WHERE image_id = @imageId))`,
    ),

    // jobs
    claimJobs: p(
      `UPDATE data_deletion_jobs SET available_at = @leasedUntil, updated_at = @now, claimed_at = coalesce(claimed_at, @now)
       WHERE seq IN (SELECT seq FROM data_deletion_jobs WHERE state = 'queued' AND available_at <= @now ORDER BY created_at, seq LIMIT @limit)
       RETURNING ${JOB_COLUMNS}`,
    ),
    completeJob: p("UPDATE data_deletion_jobs SET state = 'done', updated_at = ? WHERE id = ? AND state = 'queued' RETURNING image_id, location_id"),
    markLocationDeleted: p("UPDATE image_locations SET status = 'deleted' WHERE image_id = ? AND id = ?"),
    finishPendingDelete: p(
      `UPDATE images SET status = 'deleted', updated_at = @now WHERE id = @imageId AND status = 'pending_delete'
         AND NOT EXISTS (SELECT 1 FROM data_deletion_jobs j WHERE j.image_id = @imageId AND j.state IN ('queued', 'dead'))`,
    ),
    failJob: p(
      `UPDATE data_deletion_jobs SET attempts = attempts + 1, last_error = @error, updated_at = @now,
         state = CASE WHEN @retryAt IS NULL THEN 'dead' ELSE 'queued' END, available_at = coalesce(@retryAt, available_at)
       WHERE id = @id AND state = 'queued'`,
    ),
    requeueAllDead: p("UPDATE data_deletion_jobs SET state = 'queued', attempts = 0, available_at = ?, updated_at = ? WHERE state = 'dead'"),
    requeueDeadIds: p(
      "UPDATE data_deletion_jobs SET state = 'queued', attempts = 0, available_at = ?, updated_at = ? WHERE state = 'dead' AND id IN (SELECT value FROM json_each(?))",
    ),
    countJobs: p('SELECT state, count(*) AS n FROM data_deletion_jobs GROUP BY state'),

    // outbox
    claimEvents: p(
      `UPDATE outbox_events SET available_at = ?
       WHERE seq IN (SELECT seq FROM outbox_events WHERE delivered_at IS NULL AND available_at <= ? ORDER BY seq LIMIT ?)
       RETURNING ${EVENT_COLUMNS}`,
    ),
    markDelivered: p('UPDATE outbox_events SET delivered_at = ? WHERE delivered_at IS NULL AND id IN (SELECT value FROM json_each(?))'),
    markEventFailed: p('UPDATE outbox_events SET attempts = attempts + 1, last_error = ?, available_at = ? WHERE id = ? AND delivered_at IS NULL'),
  };
}
