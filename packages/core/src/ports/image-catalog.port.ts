// The authoring port: what a Glance-compatible service (or a test) needs to create something to delete.
import type { ResultAsync } from 'neverthrow';
import type { Image, ImageMember, ImageStatus, ImageVisibility } from '../image/image.js';
import type { UnknownMarker } from '../image/image-listing.js';
import type { Principal } from '../image/principal.js';
import type { NewImage } from '../image/new-image.js';
import type { InvalidImageInput } from '../image-input/invalid-image-input.js';
import type { QuotaExceeded } from '../quota/image-quotas.js';
import type { StorageError } from './storage-error.js';

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

/** One page of `listImages`. */
export interface ImageListQuery {
  /** Only images with exactly this name. */
  readonly name?: string;
  /** Only images this principal may see (`isImageVisibleTo`); absent lists every live image. */
  readonly visibleTo?: Principal;
  /** Page size: `DEFAULT_LIST_LIMIT` when absent, at most `MAX_LIST_LIMIT` (`listLimit`). */
  readonly limit?: number;
  /** An image id: the page starts after it. It must be a live image `visibleTo` may see, else `UnknownMarker`. */
  readonly marker?: string;
}

/**
 * The authoring side: what a Glance-compatible service needs to create something to delete.
 * Every write is conditional on the image being live, so it can never resurrect a deleted one.
 * Input is checked before it reaches storage (`validateNewImage`, `validateImagePatch`,
 * `validateMemberId`, `validateNameFilter`, `validateImageIdText`): what the catalog does not
 * accept is `InvalidImageInput` on every adapter alike, and nothing is stored. Stores implement
 * `UncheckedImageCatalog` and hand it out through `checkedImageCatalog`, which does the checking.
 */
export interface ImageCatalog {
  /**
   * Creates an image; `Conflict` when the id is taken (even by a deleted image). With an
   * `imageCountTotal` quota (`ImageQuotas`, given to the store's factory), `QuotaExceeded` when
   * the owner already has that many live images: checked and written in one serialised step, so
   * racing creates never take a project past its limit. An image without owner is never counted.
   */
  createImage(
    image: NewImage,
    now: Date,
  ): ResultAsync<Image, StorageError | { readonly kind: 'Conflict' } | InvalidImageInput | QuotaExceeded>;
  /**
   * One page of live images, oldest first (`createdAt`, then creation order), optionally with
   * exactly this name, only those `visibleTo` may see, after `marker`. Bounded: at most
   * `listLimit(query.limit)` images, found through indexes.
   */
  listImages(query: ImageListQuery): ResultAsync<readonly Image[], StorageError | InvalidImageInput | UnknownMarker>;
  /** Applies `patch` to a live image; `null` when it is not live any more. */
  updateImage(imageId: string, patch: ImagePatch, now: Date): ResultAsync<Image | null, StorageError | InvalidImageInput>;
  /** Adds (or keeps) a member project of a live image; `null` when it is not live. */
  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError | InvalidImageInput>;
  /**
   * Records uploaded data of a live image: adds an active location, sets size and checksums
   * and makes it `active`. `null` when the image is not live any more: the caller then owns the
   * data it wrote and must remove it. With an `imageSizeTotal` quota, `QuotaExceeded` when the
   * owner's other live images and `data.size` together would exceed it (serialised per project
   * like `createImage`); nothing is recorded, and the caller likewise removes the data.
   */
  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError | QuotaExceeded>;
}
