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
   * decides on the image as read inside the delete transaction (no read before it); without it,
   * `canDelete` is asked on the image read just before, and its verdict holds only while the
   * image keeps the owner it had then.
   * Must agree with `canDelete`, must not throw (a throw is a defect: `StorageFault`, nothing
   * written), and must be cheap: it runs while the adapter holds its write transaction.
   */
  canDeleteSync?(principal: Principal, image: Image): boolean;
}
