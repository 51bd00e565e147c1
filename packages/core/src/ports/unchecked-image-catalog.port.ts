// What a storage adapter implements for the authoring port: `ImageCatalog` minus the input checks, which core's `checkedImageCatalog` runs once for every adapter.
import type { ResultAsync } from 'neverthrow';
import type { Image, ImageMember, ImageStatus } from '../image/image.js';
import type { UnknownMarker } from '../image/image-listing.js';
import type { NewImage } from '../image/new-image.js';
import type { QuotaExceeded } from '../quota/image-quotas.js';
import type { ImageDataRecord, ImageListQuery, ImagePatch } from './image-catalog.port.js';
import type { StorageError } from './storage-error.js';

/** A page request after the checks: `name` passed `validateNameFilter`, `limit` is `listLimit(query.limit)`. */
export interface CheckedImageListQuery extends Omit<ImageListQuery, 'limit'> {
  /** The page size to use as it is: a whole number from 0 to `MAX_LIST_LIMIT`. */
  readonly limit: number;
}

/** A patch after the checks: it passed `validateImagePatch` and never moves the image to `deleted` or `pending_delete`. */
export interface CheckedImagePatch extends ImagePatch {
  readonly status?: Exclude<ImageStatus, 'deleted' | 'pending_delete'>;
}

/**
 * The storage side of `ImageCatalog`, for adapter authors: the same methods with the same
 * meaning, minus the input checks. Core's `checkedImageCatalog` checks every argument (with
 * `validateNewImage`, `validateImagePatch`, `validateMemberId`, `validateNameFilter`,
 * `validateImageIdText` and `listLimit`) and calls these only with input that passed, so an
 * implementation may assume its preconditions and never answers `InvalidImageInput`. Never hand
 * one out as an `ImageCatalog`: a store's factory returns `checkedImageCatalog(unchecked)`.
 */
export interface UncheckedImageCatalog {
  /** `image` passed `validateNewImage`. */
  createImage(image: NewImage, now: Date): ResultAsync<Image, StorageError | { readonly kind: 'Conflict' } | QuotaExceeded>;
  /** `query.name`, when present, passed `validateNameFilter`; `query.limit` is final. */
  listImages(query: CheckedImageListQuery): ResultAsync<readonly Image[], StorageError | UnknownMarker>;
  /** `imageId` passed `validateImageIdText`, `patch` passed `validateImagePatch` and sets no deleting status. */
  updateImage(imageId: string, patch: CheckedImagePatch, now: Date): ResultAsync<Image | null, StorageError>;
  /** `imageId` passed `validateImageIdText`, `memberId` passed `validateMemberId`. */
  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError>;
  /** Called as it comes: the data record is the caller's own upload, not client input. */
  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError | QuotaExceeded>;
}
