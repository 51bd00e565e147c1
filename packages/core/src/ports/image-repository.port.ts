// The catalog's storage port: reads, the atomic conditional delete, restore, and authoring.
import type { ResultAsync } from 'neverthrow';
import type { Image, ImageMember, ImageStatus, ImageVisibility, NewImage } from '../image/image.js';
import type { DataDeletionJob } from './data-deletion-job-queue.port.js';
import type { OutboxEvent } from './event-outbox.port.js';
import type { StorageError } from './storage-error.js';

/** What an `authorize` callback decides about the image as read inside the delete transaction. */
export type DeleteAuthorization = 'Allowed' | 'NotFound' | 'Forbidden';

/** What `deleteImage` is asked to do, all in one storage transaction. */
export interface DeleteImageRequest {
  readonly imageId: string;
  /**
   * The owner the caller was authorised against. If the image's owner differs at commit time
   * the delete is not applied and the outcome is `OwnerChanged`, so the caller re-checks.
   * Ignored when `authorize` is given: the decision is then made entirely on the state the
   * transaction reads and commits on, which is stronger than an owner comparison.
   */
  readonly expectedOwner: string | null;
  /**
   * Optional single-read authorisation. When given, the adapter calls it synchronously INSIDE
   * the delete transaction on the image exactly as read there: after the live check (an image
   * that is unknown, deleted or pending delete is `NotFound` without calling it) and before the
   * protected check. `'NotFound'` and `'Forbidden'` answer the outcome of that kind and write
   * nothing; `'Allowed'` goes on to the protected check and the delete. `expectedOwner` is then
   * ignored (never `OwnerChanged`). A callback that throws or answers anything else is a defect:
   * the transaction is rolled back and the call answers `StorageFault`. Adapters that retry
   * their read (a lost optimistic write) call it again on the image read again.
   */
  readonly authorize?: (image: Image) => DeleteAuthorization;
  /** `deleted_at` of the image and of everything cascaded. */
  readonly deletedAt: Date;
  /** Delayed-delete mode: an image with data goes to `pending_delete` instead of `deleted`. */
  readonly delayed: boolean;
  /**
   * When the queued data-deletion jobs become due for the scrubber. Immediate mode: a short
   * lease after `deletedAt` (the inline run owns them until then); delayed mode: after the delay.
   */
  readonly jobsDueAt: Date;
  /** Id of the `image.delete` outbox event (stable, so consumers can drop duplicates). */
  readonly eventId: string;
}

/** Outcome of the conditional delete, decided inside the transaction at commit time. */
export type DeleteImageOutcome =
  | {
      readonly kind: 'Deleted';
      /** The image as committed: status `deleted` or `pending_delete`, `deleted: true`. */
      readonly image: Image;
      /** One per data location, in the order of the image's locations. */
      readonly jobs: readonly DataDeletionJob[];
      readonly event: OutboxEvent;
    }
  /** Unknown, already deleted, or pending delete at commit time. */
  | { readonly kind: 'NotFound' }
  /** `protected` was true at commit time. */
  | { readonly kind: 'Protected' }
  /** The owner is not `expectedOwner` any more (never when `authorize` is given). */
  | { readonly kind: 'OwnerChanged' }
  /** `authorize` answered `'Forbidden'` (only when it is given). */
  | { readonly kind: 'Forbidden' };

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
  /** The image with this (normalised) id, whatever its status, or `null` when unknown. */
  findById(imageId: string): ResultAsync<Image | null, StorageError>;

  /**
   * The whole catalog side of a delete, in one transaction, conditional on the image still
   * being live, unprotected and owned by `expectedOwner` (or allowed by `authorize`) at commit time: status and
   * `deleted_at`, soft-delete of properties, tags, members and locations, one data-deletion job
   * per active location, one `image.delete` outbox event. Nothing is written unless all is.
   */
  deleteImage(request: DeleteImageRequest): ResultAsync<DeleteImageOutcome, StorageError>;

  /**
   * Brings a `pending_delete` image back to `active` (or the status it had, when it had no
   * data), un-deleting what the delete cascaded and cancelling its queued and dead jobs, in one
   * transaction. Refused (`DataAlreadyDeleted`) once any of its jobs is `done` or has ever been
   * claimed. Since a claim and a restore are each one transaction, either the claim commits first
   * (the restore is refused) or the restore does (its jobs are cancelled and no claim hands them
   * out): data is never deleted under an image a restore brought back.
   */
  restoreImage(imageId: string, now: Date): ResultAsync<RestoreImageOutcome, StorageError>;
}

/** Fields `updateImage` may change. */
export interface ImagePatch {
  readonly name?: string | null;
  readonly visibility?: ImageVisibility;
  readonly protected?: boolean;
  readonly status?: ImageStatus;
}

/** Data written for an image, recorded by `attachImageData`. */
export interface ImageDataRecord {
  readonly url: string;
  readonly size: number;
  readonly checksum: string;
  readonly osHashAlgo: string;
  readonly osHashValue: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ImageListQuery {
  readonly name?: string;
  readonly limit?: number;
}

/**
 * The authoring side: what a Glance-compatible service needs to create something to delete.
 * Every write is conditional on the image being live, so it can never resurrect a deleted one.
 */
export interface ImageCatalog {
  /** Creates an image; `Conflict` when the id is taken (even by a deleted image). */
  createImage(image: NewImage, now: Date): ResultAsync<Image, StorageError | { readonly kind: 'Conflict' }>;
  /** Live images, oldest first, optionally with exactly this name. Callers filter visibility. */
  listImages(query: ImageListQuery): ResultAsync<readonly Image[], StorageError>;
  /** Applies `patch` to a live image; `null` when it is not live any more. */
  updateImage(imageId: string, patch: ImagePatch, now: Date): ResultAsync<Image | null, StorageError>;
  /** Adds (or keeps) a member project of a live image; `null` when it is not live. */
  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError>;
  /**
   * Records uploaded data of a live image: adds an active location, sets size and checksums
   * and makes it `active`. `null` when the image is not live any more: the caller then owns the
   * data it wrote and must remove it.
   */
  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError>;
}

/** Thrown (inside an adapter's transaction) when an `authorize` callback misbehaved; adapters map it to `StorageFault`. */
export class DeleteAuthorizationDefect extends Error {
  override readonly name = 'DeleteAuthorizationDefect';
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/**
 * For adapters: runs `request.authorize` on the image as read in the transaction. `'Allowed'`
 * when there is no callback. A callback that throws, or answers anything but the three
 * decisions, throws `DeleteAuthorizationDefect`, so the adapter's transaction rolls back.
 */
export function authorizeDelete(request: DeleteImageRequest, image: Image): DeleteAuthorization {
  const authorize = request.authorize;
  if (authorize === undefined) return 'Allowed';
  let decision: unknown;
  try {
    decision = authorize(image);
  } catch (cause) {
    throw new DeleteAuthorizationDefect('DeleteImageRequest.authorize threw', { cause });
  }
  if (decision === 'Allowed' || decision === 'NotFound' || decision === 'Forbidden') return decision;
  throw new DeleteAuthorizationDefect(`DeleteImageRequest.authorize answered an unknown decision: ${String(decision)}`);
}
