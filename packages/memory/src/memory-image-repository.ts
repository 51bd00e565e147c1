// The in-memory ImageRepository: the delete (read, ask core's decide, write its plan) and restore.
import type {
  DeleteImageOutcome,
  DeleteImageRequest,
  Image,
  ImageRepository,
  RestoreImageOutcome,
  StorageError,
} from '@image-catalog/core';
import type { ResultAsync } from 'neverthrow';
import type { MemoryDatabase } from './memory-database.js';
import { copyDate, OUTSTANDING_JOB_STATES, readImage } from './memory-rows.js';

export class MemoryImageRepository implements ImageRepository {
  constructor(private readonly db: MemoryDatabase) {}

  /**
   * The image whatever its status: a deleted one keeps its properties, tags, members and
   * locations as they were (its active locations read `pending_delete`) until they are purged.
   */
  findById(imageId: string): ResultAsync<Image | null, StorageError> {
    return this.db.transact('findById', (tx) => {
      const stored = tx.images.get(imageId);
      return stored === undefined ? null : readImage(stored);
    });
  }

  /**
   * Reads the image (a copy: `decide` cannot alias the stored state) and writes what `decide`
   * answers, in fault-injection steps `image`, `jobs`, `outbox`: the image row's fields only (its
   * children stay as stored), the jobs, the event. A job or event id already stored is a
   * `StorageFault` (a unique key), and nothing is written.
   */
  deleteImage(request: DeleteImageRequest): ResultAsync<DeleteImageOutcome, StorageError> {
    return this.db.transact('deleteImage', (tx): DeleteImageOutcome => {
      const current = tx.images.get(request.imageId);
      const decision = request.decide(current === undefined ? null : structuredClone(readImage(current)));
      if (decision.kind !== 'Delete') return decision;
      if (current === undefined) throw new Error(`decide planned the delete of unknown image ${request.imageId}`);
      const { image, jobs, event } = decision.plan;

      const { status, deleted, deletedAt, updatedAt } = image;
      tx.putImage({ ...current, status, deleted, deletedAt: copyDate(deletedAt), updatedAt: copyDate(updatedAt) });
      tx.step('image');

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
   * now; its queued and dead jobs (none of them ever claimed) become `cancelled`. Its children
   * were never touched by the delete, so they read live again with it (locations `active`). The
   * `image.delete` event already in the outbox stays: it was committed and may have been delivered.
   */
  restoreImage(imageId: string, now: Date): ResultAsync<RestoreImageOutcome, StorageError> {
    const at = copyDate(now);
    return this.db.transact('restoreImage', (tx): RestoreImageOutcome => {
      const current = tx.images.get(imageId);
      if (current === undefined) return { kind: 'NotFound' };
      if (current.status !== 'pending_delete') return { kind: 'NotPendingDelete', status: current.status };
      const jobs = [...tx.jobs.values()].filter((s) => s.job.imageId === imageId);
      const touched = jobs.some((s) => s.job.state === 'done' || s.claimedAt !== null);
      if (touched || current.locations.some((l) => l.status === 'deleted')) return { kind: 'DataAlreadyDeleted' };

      const image: Image = {
        ...current,
        status: current.locations.length > 0 ? 'active' : 'queued',
        deleted: false,
        deletedAt: null,
        updatedAt: at,
      };
      tx.putImage(image);
      tx.step('image');

      for (const stored of jobs) {
        if (OUTSTANDING_JOB_STATES.has(stored.job.state))
          tx.putJob({ ...stored, job: { ...stored.job, state: 'cancelled', updatedAt: at } });
      }
      tx.step('jobs');
      return { kind: 'Restored', image: readImage(image) };
    });
  }
}
