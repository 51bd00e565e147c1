// The authoring port: what a Glance-compatible service (or a test) needs to create something to delete.
import type { ResultAsync } from 'neverthrow';
import type { Image, ImageMember, ImageStatus, ImageVisibility } from '../image/image.js';
import type { NewImage } from '../image/new-image.js';
import type { InvalidImageInput } from '../image-input/invalid-image-input.js';
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

export interface ImageListQuery {
  readonly name?: string;
  readonly limit?: number;
}

/**
 * The authoring side: what a Glance-compatible service needs to create something to delete.
 * Every write is conditional on the image being live, so it can never resurrect a deleted one.
 * Input is checked before it reaches storage (`validateNewImage`, `validateImagePatch`,
 * `validateMemberId`, `validateNameFilter`, `validateImageIdText`): what the catalog does not
 * accept is `InvalidImageInput` on every adapter alike, and nothing is stored.
 */
export interface ImageCatalog {
  /** Creates an image; `Conflict` when the id is taken (even by a deleted image). */
  createImage(image: NewImage, now: Date): ResultAsync<Image, StorageError | { readonly kind: 'Conflict' } | InvalidImageInput>;
  /** Live images, oldest first, optionally with exactly this name. Callers filter visibility. */
  listImages(query: ImageListQuery): ResultAsync<readonly Image[], StorageError | InvalidImageInput>;
  /** Applies `patch` to a live image; `null` when it is not live any more. */
  updateImage(imageId: string, patch: ImagePatch, now: Date): ResultAsync<Image | null, StorageError | InvalidImageInput>;
  /** Adds (or keeps) a member project of a live image; `null` when it is not live. */
  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError | InvalidImageInput>;
  /**
   * Records uploaded data of a live image: adds an active location, sets size and checksums
   * and makes it `active`. `null` when the image is not live any more: the caller then owns the
   * data it wrote and must remove it.
   */
  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError>;
}
