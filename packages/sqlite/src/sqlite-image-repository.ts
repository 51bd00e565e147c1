// The SQLite ImageRepository: the delete (read, ask core's decide, write its plan, in one transaction), restore and lookup.
import type { ResultAsync } from 'neverthrow';
import type {
  DeleteImageOutcome,
  DeleteImageRequest,
  DeletionPlan,
  Image,
  ImageRepository,
  RestoreImageOutcome,
  StorageError,
} from '@image-catalog/core';
import { DeleteGroupCommitter } from './group-commit.js';
import { StoreInvariantError, type SqliteConnection, type Statement } from './sqlite-connection.js';

export class SqliteImageRepository implements ImageRepository {
  readonly #c: SqliteConnection;
  readonly #s: Record<keyof typeof STATEMENTS, Statement>;
  readonly #deleteTx: (request: DeleteImageRequest) => ResultAsync<DeleteImageOutcome, StorageError>;
  readonly #restoreTx: (imageId: string, now: Date) => ResultAsync<RestoreImageOutcome, StorageError>;
  readonly #group: DeleteGroupCommitter | null;

  constructor(connection: SqliteConnection) {
    this.#c = connection;
    this.#s = connection.prepareAll(STATEMENTS);
    this.#deleteTx = connection.transaction((request: DeleteImageRequest) => this.#deleteInTx(request));
    this.#restoreTx = connection.transaction((imageId: string, now: Date) => this.#restoreInTx(imageId, now));
    const group = connection.groupCommit;
    this.#group =
      group === null ? null : new DeleteGroupCommitter(connection.db, (request) => this.#deleteInTx(request), connection.lockWait, group);
  }

  /**
   * With `groupCommit` the request joins the current batch (see `DeleteGroupCommitter`) and
   * settles after the batch's COMMIT; otherwise it is its own BEGIN IMMEDIATE transaction. Either
   * way, while another connection holds the write lock it waits on timers (the whole delete runs
   * again once the lock is free: `decide` is called on the row as it is then) until the lock-wait
   * deadline, then answers `StorageUnavailable`.
   */
  deleteImage(request: DeleteImageRequest): ResultAsync<DeleteImageOutcome, StorageError> {
    if (this.#group !== null) return this.#group.submit(request);
    return this.#deleteTx(request);
  }

  /** Runs inside BEGIN IMMEDIATE (or one request's savepoint of a group-commit batch): the row read here is the row the commit applies to. */
  #deleteInTx(request: DeleteImageRequest): DeleteImageOutcome {
    // Decided on the row this transaction holds the write lock on; a throw rolls it back.
    const decision = request.decide(this.#c.readImage(request.imageId));
    if (decision.kind !== 'Delete') return decision;
    this.#writePlan(request.imageId, decision.plan);
    return { kind: 'Deleted', ...decision.plan };
  }

  /**
   * The image row, the jobs and the event: core decided them, this only stores them. The
   * children are not written (the image row's state hides them; the purge removes them later),
   * so a delete is 2 + jobs rows whatever the image has.
   */
  #writePlan(imageId: string, { image, jobs, event }: DeletionPlan): void {
    const s = this.#s;
    if (s.markImageDeleted.run(image.status, image.deletedAt.getTime(), image.updatedAt.getTime(), imageId).changes !== 1) {
      throw new StoreInvariantError(`image ${imageId} changed inside its own write transaction`);
    }
    for (const job of jobs) {
      s.insertJob.run(
        job.id,
        imageId,
        job.locationId,
        job.url,
        job.availableAt.getTime(),
        job.createdAt.getTime(),
        job.updatedAt.getTime(),
      );
    }
    s.insertEvent.run(event.id, imageId, JSON.stringify(event.payload), event.occurredAt.getTime(), event.occurredAt.getTime());
  }

  findById(imageId: string): ResultAsync<Image | null, StorageError> {
    return this.#c.read(() => this.#c.readImage(imageId));
  }

  /**
   * Refused with `DataAlreadyDeleted` when some of the data is already gone or being deleted: a
   * location is `deleted`, or a job of the image is `done` or has ever been claimed
   * (`claimed_at`), even if it is still `queued`. `claimDue` and this run under the same write
   * lock, so either the claim commits first and this refuses, or this does and cancels the jobs
   * before any claim can hand them out.
   */
  restoreImage(imageId: string, now: Date): ResultAsync<RestoreImageOutcome, StorageError> {
    return this.#restoreTx(imageId, now);
  }

  #restoreInTx(imageId: string, now: Date): RestoreImageOutcome {
    const s = this.#s;
    const before = this.#c.readImage(imageId);
    if (before === null) return { kind: 'NotFound' };
    if (before.status !== 'pending_delete' || before.deletedAt === null) return { kind: 'NotPendingDelete', status: before.status };
    if (before.locations.some((l) => l.status === 'deleted') || s.hasTouchedJob.get(imageId) !== undefined)
      return { kind: 'DataAlreadyDeleted' };

    const at = now.getTime();
    // The delete never wrote the children: with the image live again, they read live again.
    s.restoreImage.run(before.locations.length > 0 ? 1 : 0, at, imageId);
    // Dead jobs are cancelled too (none was ever claimed, or we would not be here): requeueing one
    // later would delete the data of a live image.
    s.cancelJobs.run(at, imageId);
    const image = this.#c.readImage(imageId);
    if (image === null) throw new StoreInvariantError(`image ${imageId} vanished during restore`);
    return { kind: 'Restored', image };
  }
}

const STATEMENTS = {
  // delete
  markImageDeleted:
    'UPDATE images SET status_before_delete = status, status = ?, deleted = 1, deleted_at = ?, updated_at = ? WHERE id = ? AND deleted = 0',
  insertJob:
    "INSERT INTO data_deletion_jobs (id, image_id, location_id, url, state, attempts, available_at, last_error, created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, NULL, ?, ?)",
  insertEvent: "INSERT INTO outbox_events (id, type, image_id, payload, occurred_at, available_at) VALUES (?, 'image.delete', ?, ?, ?, ?)",

  // restore
  restoreImage:
    "UPDATE images SET status = CASE WHEN ? THEN 'active' ELSE coalesce(status_before_delete, 'active') END, status_before_delete = NULL, deleted = 0, deleted_at = NULL, updated_at = ? WHERE id = ? AND status = 'pending_delete'",
  hasTouchedJob: "SELECT 1 FROM data_deletion_jobs WHERE image_id = ? AND (state = 'done' OR claimed_at IS NOT NULL) LIMIT 1",
  cancelJobs: "UPDATE data_deletion_jobs SET state = 'cancelled', updated_at = ? WHERE image_id = ? AND state IN ('queued', 'dead')",
} as const;
