// The delete policy port: may this principal delete this (visible) image?
import type { ResultAsync } from 'neverthrow';
import type { Image } from '../image/image.js';
import type { Principal } from '../image/principal.js';
import type { StorageError } from './storage-error.js';

export interface DeletePolicy {
  /** `true` to allow. A policy backend that cannot be reached answers `StorageUnavailable`. */
  canDelete(principal: Principal, image: Image): ResultAsync<boolean, StorageError>;
}
