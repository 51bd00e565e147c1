// The in-memory ImageCatalog (authoring): create, list, patch, add members and attach data to live images.
import { isImageVisibleTo, isLive, storageFault, type Image, type ImageMember, type StorageError } from '@image-catalog/core';
import {
  newImageRecord,
  validateImageIdText,
  validateImagePatch,
  validateMemberId,
  listLimit,
  validateNameFilter,
  validateNewImage,
  type ImageCatalog,
  type ImageDataRecord,
  type ImageListQuery,
  type ImagePatch,
  type InvalidImageInput,
  type NewImage,
  type UnknownMarker,
} from '@image-catalog/core/authoring';
import { errAsync, ok, okAsync, type ResultAsync } from 'neverthrow';
import type { MemoryDatabase } from './memory-database.js';
import { copyDate, oldestFirst, readImage } from './memory-rows.js';

type Conflict = { readonly kind: 'Conflict' };

export class MemoryImageCatalog implements ImageCatalog {
  constructor(
    private readonly db: MemoryDatabase,
    /** Ids of new locations. */
    private readonly newId: () => string,
  ) {}

  /**
   * Glance's defaults fill what `image` leaves out; an id taken by any image, deleted or not, is a
   * `Conflict`; input the catalog does not accept is `InvalidImageInput` (core's `validateNewImage`).
   */
  createImage(image: NewImage, now: Date): ResultAsync<Image, StorageError | Conflict | InvalidImageInput> {
    return validateNewImage(image).asyncAndThen(() => this.#create(image, now));
  }

  #create(image: NewImage, now: Date): ResultAsync<Image, StorageError | Conflict> {
    return this.db
      .transact('createImage', (tx): Image | Conflict => {
        if (tx.images.has(image.id)) return { kind: 'Conflict' };
        const record = structuredClone(newImageRecord(image, copyDate(now)));
        tx.putImage(record);
        return record;
      })
      .andThen((created) => ('kind' in created ? errAsync(created) : okAsync(created)));
  }

  /** Live images `visibleTo` may see, oldest first (`createdAt`, then creation order), optionally with exactly `name`, after `marker`. */
  listImages(query: ImageListQuery): ResultAsync<readonly Image[], StorageError | InvalidImageInput | UnknownMarker> {
    const name = query.name === undefined ? ok(undefined) : validateNameFilter(query.name);
    return name.asyncAndThen(() =>
      this.db
        .transact('listImages', (tx): readonly Image[] | UnknownMarker => {
          const listed = oldestFirst(
            [...tx.images.values()].filter((i) => isLive(i) && (query.visibleTo === undefined || isImageVisibleTo(i, query.visibleTo))),
          );
          let start = 0;
          if (query.marker !== undefined) {
            const at = listed.findIndex((i) => i.id === query.marker);
            if (at < 0) return { kind: 'UnknownMarker', marker: query.marker };
            start = at + 1;
          }
          return listed
            .slice(start)
            .filter((i) => query.name === undefined || i.name === query.name)
            .slice(0, listLimit(query.limit))
            .map(readImage);
        })
        .andThen((page) => ('kind' in page ? errAsync(page) : okAsync(page))),
    );
  }

  /**
   * Applies the fields `patch` defines and sets `updatedAt`. A patch moving the status to
   * `deleted` or `pending_delete` is refused with `StorageFault`: only `deleteImage` may do
   * that, because only it writes the jobs and the event with it.
   */
  updateImage(imageId: string, patch: ImagePatch, now: Date): ResultAsync<Image | null, StorageError | InvalidImageInput> {
    return validateImageIdText(imageId)
      .andThen(() => validateImagePatch(patch))
      .asyncAndThen(() => this.#update(imageId, patch, now));
  }

  #update(imageId: string, patch: ImagePatch, now: Date): ResultAsync<Image | null, StorageError> {
    if (patch.status === 'deleted' || patch.status === 'pending_delete') {
      return errAsync(storageFault(new Error(`updateImage cannot set status ${patch.status}; use deleteImage`)));
    }
    return this.db.transact('updateImage', (tx) => {
      const current = tx.images.get(imageId);
      if (current === undefined || !isLive(current)) return null;
      const image: Image = {
        ...current,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.visibility !== undefined ? { visibility: patch.visibility } : {}),
        ...(patch.protected !== undefined ? { protected: patch.protected } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        updatedAt: copyDate(now),
      };
      tx.putImage(image);
      return image;
    });
  }

  /** A new member starts `pending`; an existing one is returned unchanged. The image's `updatedAt` is not touched. */
  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError | InvalidImageInput> {
    return validateImageIdText(imageId)
      .andThen(() => validateMemberId(memberId))
      .asyncAndThen(() => this.#addMember(imageId, memberId, now));
  }

  #addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError> {
    return this.db.transact('addMember', (tx) => {
      const current = tx.images.get(imageId);
      if (current === undefined || !isLive(current)) return null;
      const existing = current.members.find((m) => m.memberId === memberId);
      if (existing !== undefined) return existing;
      const member: ImageMember = { memberId, status: 'pending', createdAt: copyDate(now), updatedAt: copyDate(now) };
      tx.putImage({ ...current, members: [...current.members, member] });
      return member;
    });
  }

  /** Appends an active location (after any existing ones) and makes the image `active` with the data's size and digests. */
  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError> {
    return this.db.transact('attachImageData', (tx) => {
      const current = tx.images.get(imageId);
      if (current === undefined || !isLive(current)) return null;
      const image: Image = {
        ...current,
        status: 'active',
        size: data.size,
        checksum: data.checksum,
        osHashAlgo: data.osHashAlgo,
        osHashValue: data.osHashValue,
        locations: [...current.locations, { id: this.newId(), url: data.url, metadata: { ...(data.metadata ?? {}) }, status: 'active' }],
        updatedAt: copyDate(now),
      };
      tx.putImage(image);
      return image;
    });
  }
}
