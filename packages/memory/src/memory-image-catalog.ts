// The in-memory ImageCatalog (authoring): create, list, patch, add members and attach data to live images.
import { isImageVisibleTo, isLive, type Image, type ImageMember, type StorageError } from '@image-catalog/core';
import {
  imageCountExceeded,
  imageSizeExceeded,
  newImageRecord,
  quotaProject,
  type CheckedImageListQuery,
  type CheckedImagePatch,
  type ImageDataRecord,
  type ImageQuotas,
  type NewImage,
  type QuotaExceeded,
  type UncheckedImageCatalog,
  type UnknownMarker,
} from '@image-catalog/core/authoring';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import type { MemoryDatabase } from './memory-database.js';
import type { MemoryTransaction } from './memory-transaction.js';
import { copyDate, oldestFirst, readImage } from './memory-rows.js';

type Conflict = { readonly kind: 'Conflict' };

/** The live images `projectId` owns, except `exceptId`. */
function liveOwnedBy(tx: MemoryTransaction, projectId: string, exceptId?: string): Image[] {
  return [...tx.images.values()].filter((i) => i.owner === projectId && i.id !== exceptId && isLive(i));
}

/** The store behind `checkedImageCatalog`: input arrives checked (see `UncheckedImageCatalog`). */
export class MemoryImageCatalog implements UncheckedImageCatalog {
  constructor(
    private readonly db: MemoryDatabase,
    /** Ids of new locations. */
    private readonly newId: () => string,
    /** Checked (`validImageQuotas`) by the factory. */
    private readonly quotas: ImageQuotas = {},
  ) {}

  /**
   * Glance's defaults fill what `image` leaves out; an id taken by any image, deleted or not, is a
   * `Conflict`; one image more than the owner's `imageCountTotal` is `QuotaExceeded`. Every
   * transaction runs whole before the next starts, so the count and the insert are one step.
   */
  createImage(image: NewImage, now: Date): ResultAsync<Image, StorageError | Conflict | QuotaExceeded> {
    return this.db
      .transact('createImage', (tx): Image | Conflict | QuotaExceeded => {
        // The quota first, as Glance checks it before it tries to store anything.
        const project = quotaProject(this.quotas, 'image_count_total', image.owner);
        const overQuota = project === null ? null : imageCountExceeded(this.quotas, project, liveOwnedBy(tx, project).length);
        if (overQuota !== null) return overQuota;
        if (tx.images.has(image.id)) return { kind: 'Conflict' };
        const record = structuredClone(newImageRecord(image, copyDate(now)));
        tx.putImage(record);
        return record;
      })
      .andThen((created) => ('kind' in created ? errAsync(created) : okAsync(created)));
  }

  /** Live images `visibleTo` may see, oldest first (`createdAt`, then creation order), optionally with exactly `name`, after `marker`. */
  listImages(query: CheckedImageListQuery): ResultAsync<readonly Image[], StorageError | UnknownMarker> {
    return this.db
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
          .slice(0, query.limit)
          .map(readImage);
      })
      .andThen((page) => ('kind' in page ? errAsync(page) : okAsync(page)));
  }

  /** Applies the fields `patch` defines and sets `updatedAt`. */
  updateImage(imageId: string, patch: CheckedImagePatch, now: Date): ResultAsync<Image | null, StorageError> {
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
  addMember(imageId: string, memberId: string, now: Date): ResultAsync<ImageMember | null, StorageError> {
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

  /**
   * Appends an active location (after any existing ones) and makes the image `active` with the
   * data's size and digests; `QuotaExceeded` when the owner's other live images and the data
   * would hold more than `imageSizeTotal` bytes.
   */
  attachImageData(imageId: string, data: ImageDataRecord, now: Date): ResultAsync<Image | null, StorageError | QuotaExceeded> {
    return this.db
      .transact('attachImageData', (tx): Image | null | QuotaExceeded => {
        const current = tx.images.get(imageId);
        if (current === undefined || !isLive(current)) return null;
        const project = quotaProject(this.quotas, 'image_size_total', current.owner);
        if (project !== null) {
          const usage = liveOwnedBy(tx, project, imageId).reduce((sum, i) => sum + (i.size ?? 0), 0);
          const overQuota = imageSizeExceeded(this.quotas, project, usage, data.size);
          if (overQuota !== null) return overQuota;
        }
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
      })
      .andThen((attached) => (attached !== null && 'kind' in attached ? errAsync(attached) : okAsync(attached)));
  }
}
