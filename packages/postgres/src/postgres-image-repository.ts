// ImageRepository on PostgreSQL: the read-decide-write delete as one guarded statement, findById, and restore.
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import {
  storageUnavailable,
  type DeleteImageOutcome,
  type DeleteImageRequest,
  type Image,
  type ImageRepository,
  type RestoreImageOutcome,
  type StorageError,
} from '@image-catalog/core';
import { toImage } from '@image-catalog/sql-kit';
import { imageRepositoryStatements } from './image-repository-statements.js';
import type { PostgresConnection } from './postgres-connection.js';
import { StoreInvariantError } from './store-invariant-error.js';

export interface PostgresImageRepositoryOptions {
  /**
   * How often `deleteImage` reads and decides again when the image changed between its read and
   * its guarded write (default 8). Past that the image is too busy: `StorageUnavailable`.
   */
  readonly maxDeleteRounds?: number;
}

/**
 * The delete side. `deleteImage` takes no lock between its read and its write: the write is one
 * statement guarded by the row's `row_version`, which every other write to the image or its
 * children bumps, so the decision always holds at commit (two statements when uncontended, in
 * one bounded READ COMMITTED transaction: four round trips with its BEGIN and COMMIT).
 */
export class PostgresImageRepository implements ImageRepository {
  readonly #c: PostgresConnection;
  readonly #q: ReturnType<typeof imageRepositoryStatements>;
  readonly #maxDeleteRounds: number;

  constructor(connection: PostgresConnection, options: PostgresImageRepositoryOptions = {}) {
    this.#c = connection;
    this.#q = imageRepositoryStatements(connection);
    this.#maxDeleteRounds = Math.max(1, options.maxDeleteRounds ?? 8);
  }

  /** The image whatever its status; a deleted one reads back with the children it had when it was deleted. */
  findById(imageId: string): ResultAsync<Image | null, StorageError> {
    return this.#c.db.transaction((db) => this.#c.readImage(db, imageId));
  }

  /**
   * Reads the image, asks `request.decide`, and writes its plan as one statement, applied only
   * if the image row is exactly the one the decision was made on (`row_version`); otherwise it
   * reads and decides again, up to `maxDeleteRounds` times.
   */
  deleteImage(request: DeleteImageRequest): ResultAsync<DeleteImageOutcome, StorageError> {
    return this.#c.db
      .transaction(async (db): Promise<DeleteImageOutcome | null> => {
        for (let round = 0; round < this.#maxDeleteRounds; round++) {
          const row = await this.#c.readImageRow(db, request.imageId);
          // Decided on the row version the guarded write below is conditional on; a throw writes nothing.
          const decision = request.decide(row === null ? null : toImage(row));
          if (decision.kind !== 'Delete') return decision;
          if (row === null) throw new StoreInvariantError(`decide planned the delete of unknown image ${request.imageId}`);
          const { image, jobs, event } = decision.plan;
          const written = await db.query<{ deleted: number }>(
            this.#q.deleteImage([
              image.id,
              row.row_version,
              row.owner,
              image.status,
              image.deletedAt,
              jobs[0]?.availableAt ?? image.deletedAt,
              jobs.map((j) => j.id),
              jobs.map((j) => j.locationId),
              jobs.map((j) => j.url),
              event.id,
              JSON.stringify(event.payload),
            ]),
          );
          if (written.rows[0]?.deleted === 1) return { kind: 'Deleted', ...decision.plan };
          // The row changed since it was read (another delete, a protect, an upload...): decide again on what is there now.
        }
        return null; // lost the guarded write every round
      })
      .andThen((outcome) =>
        outcome === null
          ? errAsync(storageUnavailable(new Error(`image ${request.imageId} kept changing during its delete`), this.#c.retryAfterSeconds))
          : okAsync(outcome),
      );
  }

  /**
   * Restorable: a `pending_delete` image none of whose jobs is `done` or was ever claimed by a
   * scrubber (`DataAlreadyDeleted` otherwise: a claimed job's data may be being deleted right
   * now, and a restore must never race that). Status `active` (or the status before the delete
   * when it has no location), queued and dead jobs `cancelled`, the `image.delete` event kept;
   * the children, never written by the delete, read live again with the image. One transaction;
   * the image and then its jobs are locked first.
   */
  restoreImage(imageId: string, now: Date): ResultAsync<RestoreImageOutcome, StorageError> {
    return this.#c.db.transaction(async (tx): Promise<RestoreImageOutcome> => {
      const locked = await tx.query<{ status: Image['status']; deleted_at: Date | null }>(this.#q.lockImage([imageId]));
      const current = locked.rows[0];
      if (current === undefined) return { kind: 'NotFound' };
      if (current.status !== 'pending_delete' || current.deleted_at === null) return { kind: 'NotPendingDelete', status: current.status };

      const blocked = await tx.query<{ blocked: boolean }>(this.#q.restoreBlocked([imageId]));
      if (blocked.rows[0]?.blocked === true) return { kind: 'DataAlreadyDeleted' };

      const restored = await tx.query<{ restored: number }>(this.#q.restoreImage([imageId, now]));
      if (restored.rows[0]?.restored !== 1) throw new StoreInvariantError(`image ${imageId} was locked pending_delete but not restored`);
      const image = await this.#c.readImage(tx, imageId);
      if (image === null) throw new StoreInvariantError(`image ${imageId} vanished during its restore`);
      return { kind: 'Restored', image };
    });
  }
}
