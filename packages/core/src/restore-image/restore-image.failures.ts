// Every way restoring a pending-delete image can fail, as data; shares InvalidImageId and ImageNotFound with delete.
import type { ImageNotFound, InvalidImageId } from '../delete-image/delete-image.failures.js';
import type { ImageStatus } from '../image/image.js';
import type { StorageFault, StorageUnavailable } from '../ports/storage-error.js';

/** Restoring is an administrator's action; asked before the image is looked up, so it reveals nothing. */
export interface RestoreForbidden {
  readonly kind: 'RestoreForbidden';
  readonly imageId: string;
  readonly message: string;
}

/** The image is live: there is nothing to restore. */
export interface ImageNotPendingDelete {
  readonly kind: 'ImageNotPendingDelete';
  readonly imageId: string;
  readonly status: ImageStatus;
  readonly message: string;
}

/**
 * Some of its data is already gone or being deleted (a data-deletion job finished, or a scrubber
 * has claimed one): restoring would give an image without its data.
 */
export interface DataAlreadyDeleted {
  readonly kind: 'DataAlreadyDeleted';
  readonly imageId: string;
  readonly message: string;
}

/** `ImageNotFound` covers unknown images and images already finally `deleted`. */
export type RestoreImageFailure =
  InvalidImageId | ImageNotFound | RestoreForbidden | ImageNotPendingDelete | DataAlreadyDeleted | StorageUnavailable | StorageFault;

export type RestoreImageFailureKind = RestoreImageFailure['kind'];

/** All failure kinds, for exhaustive tables and tests. */
export const RESTORE_IMAGE_FAILURE_KINDS = [
  'InvalidImageId',
  'ImageNotFound',
  'RestoreForbidden',
  'ImageNotPendingDelete',
  'DataAlreadyDeleted',
  'StorageUnavailable',
  'StorageFault',
] as const satisfies readonly RestoreImageFailureKind[];

export function restoreForbidden(imageId: string): RestoreForbidden {
  return { kind: 'RestoreForbidden', imageId, message: 'You are not authorized to complete restore_image action.' };
}

export function imageNotPendingDelete(imageId: string, status: ImageStatus): ImageNotPendingDelete {
  return {
    kind: 'ImageNotPendingDelete',
    imageId,
    status,
    message: `Image ${imageId} is not pending delete (status: ${status}); only a pending_delete image can be restored.`,
  };
}

export function dataAlreadyDeleted(imageId: string): DataAlreadyDeleted {
  return {
    kind: 'DataAlreadyDeleted',
    imageId,
    message: `Image ${imageId} cannot be restored: some of its data is already gone or being deleted.`,
  };
}
