// The catalog's storage port for deletes: a read, the atomic conditional delete, and restore.
import type { ResultAsync } from 'neverthrow';
import type { DeleteDecision } from '../delete-image/delete-decision.js';
import type { DeletionPlan } from '../delete-image/deletion-plan.js';
import type { Image, ImageStatus } from '../image/image.js';
import type { StorageError } from './storage-error.js';

/**
 * One delete, asked of a store: read the image inside a write transaction, call `decide` on it
 * exactly once per read, and commit what it answers. The use case builds `decide`; it is pure
 * and synchronous (an asynchronous policy has already been resolved and folded into it).
 */
export interface DeleteImageRequest {
  /** The normalised image id. */
  readonly imageId: string;
  /**
   * Called with the image as read inside the transaction (`null` when the id is unknown), with
   * all its properties, tags, members and locations. `Delete` carries the plan to write; any
   * other answer writes nothing and is the outcome. A `decide` that throws is a defect: the
   * transaction rolls back and the call answers `StorageFault`. A store that must read again
   * (a lost optimistic write) calls it again on the image read again.
   */
  readonly decide: (image: Image | null) => DeleteDecision;
}

/**
 * Outcome of a delete, decided inside the transaction at commit time: `Deleted` when the plan
 * was committed (its image, jobs and event, as written), otherwise `decide`'s refusal.
 */
export type DeleteImageOutcome = ({ readonly kind: 'Deleted' } & DeletionPlan) | Exclude<DeleteDecision, { readonly kind: 'Delete' }>;

export type RestoreImageOutcome =
  | { readonly kind: 'Restored'; readonly image: Image }
  | { readonly kind: 'NotFound' }
  /** The image is not in `pending_delete` (live or finally deleted). */
  | { readonly kind: 'NotPendingDelete'; readonly status: ImageStatus }
  /**
   * Some of its data is already gone or being deleted: a data-deletion job of the image is `done`,
   * or has been claimed by `DataDeletionJobQueue.claimDue` (even if still `queued`: a scrubber may
   * be removing the data right now). Restoring would give an image without its data.
   */
  | { readonly kind: 'DataAlreadyDeleted' };

/** The catalog as the delete side sees it. Every method is one atomic step. */
export interface ImageRepository {
  /**
   * The image with this (normalised) id, whatever its status, or `null` when unknown. A deleted
   * (or `pending_delete`) image reads with the children it had, its `active` locations as
   * `pending_delete` (`locationStatusOn`), until `purgeDeletedChildren` removes them.
   */
  findById(imageId: string): ResultAsync<Image | null, StorageError>;

  /**
   * The whole catalog side of a delete, in one transaction: reads the image, asks
   * `request.decide`, and on `Delete` writes its plan (the image row, the jobs, the event),
   * conditional on the row still being the one read. Nothing is written unless all is. The
   * image's properties, tags, members and locations are not written: the image row's state
   * decides how they read (a deleted image reads back with the children it had, its active
   * locations as `pending_delete`), and `DataDeletionJobQueue.purgeDeletedChildren` removes
   * them later. So a delete writes 2 + (number of active locations) rows, whatever else the image has.
   */
  deleteImage(request: DeleteImageRequest): ResultAsync<DeleteImageOutcome, StorageError>;

  /**
   * Brings a `pending_delete` image back to `active` (or the status it had, when it had no
   * data) and cancels its queued and dead jobs, in one transaction. Its children were never
   * touched by the delete, so they read live again with the image (its locations `active`). Refused (`DataAlreadyDeleted`) once any of its jobs is `done` or has ever been
   * claimed. Since a claim and a restore are each one transaction, either the claim commits first
   * (the restore is refused) or the restore does (its jobs are cancelled and no claim hands them
   * out): data is never deleted under an image a restore brought back.
   */
  restoreImage(imageId: string, now: Date): ResultAsync<RestoreImageOutcome, StorageError>;
}
