// ImageRepository over MariaDB: findById, the delete (lock, read, ask core, write the plan) and restore, each one transaction.
import type {
  DeleteImageOutcome,
  DeleteImageRequest,
  DeletionPlan,
  Image,
  ImageRepository,
  ImageStatus,
  RestoreImageOutcome,
  StorageError,
} from '@image-catalog/core';
import type { ResultAsync } from 'neverthrow';
import { selectImage } from './image-query.js';
import type { MysqlConnection, Sql } from './mysql-connection.js';

export class MysqlImageRepository implements ImageRepository {
  constructor(private readonly db: MysqlConnection) {}

  findById(imageId: string): ResultAsync<Image | null, StorageError> {
    return this.db.read((sql) => selectImage(sql, imageId));
  }

  /**
   * The image row is locked first (`FOR UPDATE`: a concurrent delete or update of it waits here),
   * then read whole; at READ COMMITTED that read sees whatever the previous lock holder committed.
   * `decide` runs once on it; a `Delete` plan is written before COMMIT, anything else writes nothing.
   */
  deleteImage(request: DeleteImageRequest): ResultAsync<DeleteImageOutcome, StorageError> {
    return this.db.transaction(async (sql) => {
      await sql.rows('SELECT seq FROM images WHERE id = ? FOR UPDATE', [request.imageId]);
      const decision = request.decide(await selectImage(sql, request.imageId));
      if (decision.kind !== 'Delete') return decision;
      await writeDeletionPlan(sql, decision.plan);
      return { kind: 'Deleted', ...decision.plan };
    });
  }

  /**
   * Locks the image, then its jobs (the order every writer here uses), so a restore and a
   * `claimDue` serialise on the job rows: a claimed job (`claimed_at`) or a done one refuses the
   * restore; otherwise the restore cancels the jobs before any claim can see them queued.
   */
  restoreImage(imageId: string, now: Date): ResultAsync<RestoreImageOutcome, StorageError> {
    return this.db.transaction(async (sql): Promise<RestoreImageOutcome> => {
      const [image] = await sql.rows<{ status: ImageStatus; deleted_at: number | null }>(
        'SELECT status, deleted_at FROM images WHERE id = ? FOR UPDATE',
        [imageId],
      );
      if (image === undefined) return { kind: 'NotFound' };
      if (image.status !== 'pending_delete' || image.deleted_at === null) return { kind: 'NotPendingDelete', status: image.status };
      const jobs = await sql.rows<{ state: string; claimed_at: number | null }>(
        'SELECT state, claimed_at FROM data_deletion_jobs WHERE image_id = ? FOR UPDATE',
        [imageId],
      );
      const dataGone = jobs.some((job) => job.state === 'done' || (job.state !== 'cancelled' && job.claimed_at !== null));
      if (dataGone) return { kind: 'DataAlreadyDeleted' };

      const at = now.getTime();
      // The delete never wrote the children: with the image live again, they read live again.
      await sql.run(
        `UPDATE data_deletion_jobs FORCE INDEX (data_deletion_jobs_by_image) SET state = 'cancelled', updated_at = ?
         WHERE image_id = ? AND state IN ('queued', 'dead')`,
        [at, imageId],
      );
      // Back to `active` when data came back with it, else to the status it had before the delete.
      await sql.run(
        `UPDATE images FORCE INDEX (images_id) SET
           status = IF(EXISTS (SELECT 1 FROM image_locations l WHERE l.image_id = images.id AND l.deleted = FALSE AND l.status = 'active'),
                       'active', COALESCE(status_before_delete, 'active')),
           status_before_delete = NULL, deleted = FALSE, deleted_at = NULL, updated_at = ?
         WHERE id = ?`,
        [at, imageId],
      );
      const restored = await selectImage(sql, imageId);
      if (restored === null) throw new Error(`image ${imageId} vanished inside its restore transaction`);
      return { kind: 'Restored', image: restored };
    });
  }
}

/**
 * Writes a plan exactly as core made it: the guarded image row, the jobs, the event. No child
 * row: the image row's state hides them, so a delete is the same few statements whatever the
 * image has.
 */
async function writeDeletionPlan(sql: Sql, plan: DeletionPlan): Promise<void> {
  const { image, jobs, event } = plan;
  // status_before_delete first: MySQL assigns left to right, so `status` on its right is still the old one.
  const changed = await sql.run(
    `UPDATE images FORCE INDEX (images_id) SET status_before_delete = status, status = ?, deleted = TRUE, deleted_at = ?, updated_at = ?
     WHERE id = ? AND deleted = FALSE`,
    [image.status, image.deletedAt.getTime(), image.updatedAt.getTime(), image.id],
  );
  if (changed !== 1) throw new Error(`image ${image.id} was not live when its deletion plan was written`);
  if (jobs.length > 0) {
    await sql.run(
      `INSERT INTO data_deletion_jobs (id, image_id, location_id, url, state, attempts, available_at, last_error, created_at, updated_at)
       VALUES ?`,
      [
        jobs.map((j) => [
          j.id,
          j.imageId,
          j.locationId,
          j.url,
          j.state,
          j.attempts,
          j.availableAt.getTime(),
          j.lastError,
          j.createdAt.getTime(),
          j.updatedAt.getTime(),
        ]),
      ],
    );
  }
  await sql.run(
    'INSERT INTO outbox_events (id, type, image_id, payload, occurred_at, available_at, attempts) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [
      event.id,
      event.type,
      event.imageId,
      JSON.stringify(event.payload),
      event.occurredAt.getTime(),
      event.occurredAt.getTime(),
      event.attempts,
    ],
  );
}
