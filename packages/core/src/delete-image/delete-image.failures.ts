// Every way a delete can fail, as data. The HTTP layer maps each kind to one status code.
import type { StorageFault, StorageUnavailable } from '../ports/storage-error.js';

/** The id is not in the configured format (never echoed back: it may be hostile). */
export interface InvalidImageId {
  readonly kind: 'InvalidImageId';
  readonly message: string;
}

/** Unknown, deleted, pending delete, or not visible to the caller: indistinguishable on purpose. */
export interface ImageNotFound {
  readonly kind: 'ImageNotFound';
  readonly imageId: string;
  readonly message: string;
}

/** Visible, but the delete policy denies the caller. */
export interface DeleteForbidden {
  readonly kind: 'DeleteForbidden';
  readonly imageId: string;
  readonly message: string;
}

/** `protected` is true. */
export interface ImageProtected {
  readonly kind: 'ImageProtected';
  readonly imageId: string;
  readonly message: string;
}

export type DeleteImageFailure = InvalidImageId | ImageNotFound | DeleteForbidden | ImageProtected | StorageUnavailable | StorageFault;

export type DeleteImageFailureKind = DeleteImageFailure['kind'];

/** All failure kinds, for exhaustive tables and tests. */
export const DELETE_IMAGE_FAILURE_KINDS = [
  'InvalidImageId',
  'ImageNotFound',
  'DeleteForbidden',
  'ImageProtected',
  'StorageUnavailable',
  'StorageFault',
] as const satisfies readonly DeleteImageFailureKind[];

export function invalidImageId(formatDescription: string): InvalidImageId {
  return { kind: 'InvalidImageId', message: `Invalid image id: expected ${formatDescription}.` };
}

export function imageNotFound(imageId: string): ImageNotFound {
  return { kind: 'ImageNotFound', imageId, message: `No image found with ID ${imageId}` };
}

export function deleteForbidden(imageId: string): DeleteForbidden {
  return { kind: 'DeleteForbidden', imageId, message: 'You are not authorized to complete delete_image action.' };
}

export function imageProtected(imageId: string): ImageProtected {
  return { kind: 'ImageProtected', imageId, message: `Image ${imageId} is protected and cannot be deleted.` };
}
