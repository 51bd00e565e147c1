// checkedImageCatalog: the one place an ImageCatalog's input is checked, in front of any store's unchecked implementation.
import { errAsync, ok } from 'neverthrow';
import { listLimit } from '../image/image-listing.js';
import type { ImageCatalog, ImagePatch } from '../ports/image-catalog.port.js';
import { storageFault } from '../ports/storage-error.js';
import type { CheckedImagePatch, UncheckedImageCatalog } from '../ports/unchecked-image-catalog.port.js';
import { validateImageIdText, validateImagePatch, validateMemberId, validateNameFilter, validateNewImage } from './validate-image-input.js';

/**
 * Only `deleteImage` may move an image to `deleted` or `pending_delete`, because only it writes
 * the data-deletion jobs and the event with it: a patch that tries is a defect of the caller.
 */
function setsNoDeletingStatus(patch: ImagePatch): patch is CheckedImagePatch {
  return patch.status !== 'deleted' && patch.status !== 'pending_delete';
}

/**
 * The `ImageCatalog` every store hands out: each argument is checked (in this order, the first
 * problem answered as `InvalidImageInput`, nothing stored) before `unchecked` is called.
 * - `createImage`: `validateNewImage`.
 * - `listImages`: `validateNameFilter` for a `name`; the page size becomes `listLimit(limit)`.
 * - `updateImage`: `validateImageIdText`, `validateImagePatch`, then a status of `deleted` or
 *   `pending_delete` is a `StorageFault`, a defect of the caller: only `deleteImage` deletes.
 * - `addMember`: `validateImageIdText`, then `validateMemberId`.
 * - `attachImageData`: passed through.
 */
export function checkedImageCatalog(unchecked: UncheckedImageCatalog): ImageCatalog {
  return {
    createImage: (image, now) => validateNewImage(image).asyncAndThen(() => unchecked.createImage(image, now)),
    listImages: (query) =>
      (query.name === undefined ? ok(undefined) : validateNameFilter(query.name)).asyncAndThen(() =>
        unchecked.listImages({ ...query, limit: listLimit(query.limit) }),
      ),
    updateImage: (imageId, patch, now) =>
      validateImageIdText(imageId)
        .andThen(() => validateImagePatch(patch))
        .asyncAndThen(() =>
          setsNoDeletingStatus(patch)
            ? unchecked.updateImage(imageId, patch, now)
            : errAsync(storageFault(new Error(`updateImage cannot set status ${String(patch.status)}; use deleteImage`))),
        ),
    addMember: (imageId, memberId, now) =>
      validateImageIdText(imageId)
        .andThen(() => validateMemberId(memberId))
        .asyncAndThen(() => unchecked.addMember(imageId, memberId, now)),
    attachImageData: (imageId, data, now) => unchecked.attachImageData(imageId, data, now),
  };
}
