// The delete policy port: may this principal delete this (visible) image?
import type { ResultAsync } from 'neverthrow';
import type { Image } from '../image/image.js';
import type { Principal } from '../image/principal.js';
import type { StorageError } from './storage-error.js';

export interface DeletePolicy {
  /** `true` to allow. A policy backend that cannot be reached answers `StorageUnavailable`. */
  canDelete(principal: Principal, image: Image): ResultAsync<boolean, StorageError>;
  /**
   * Optional: the same decision, synchronously and without I/O. When present, `DeleteImage`
   * takes its single-read path: it hands the visibility and policy checks to the storage adapter,
   * which runs them inside the delete transaction on the image as read there (no `findById`).
   * Must agree with `canDelete`, must not throw (a throw is a defect: `StorageFault`, nothing
   * written), and must be cheap: it runs while the adapter holds its write transaction.
   */
  canDeleteSync?(principal: Principal, image: Image): boolean;
}
