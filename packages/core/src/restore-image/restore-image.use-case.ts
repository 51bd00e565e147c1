// The RestoreImage use case: an administrator brings a pending_delete image back before the scrubber removes its data.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import { imageNotFound, invalidImageId } from '../delete-image/delete-image.failures.js';
import type { ImageIdFormat } from '../image/image-id.js';
import { uuidImageIdFormat } from '../image/image-id.js';
import type { Image, ImageStatus } from '../image/image.js';
import type { Principal } from '../image/principal.js';
import { isAdmin } from '../image/principal.js';
import type { Clock } from '../ports/clock.port.js';
import type { ImageRepository } from '../ports/image-repository.port.js';
import type { Logger } from '../ports/logger.port.js';
import { silentLogger } from '../ports/logger.port.js';
import { storageFault } from '../ports/storage-error.js';
import { dataAlreadyDeleted, imageNotPendingDelete, restoreForbidden, type RestoreImageFailure } from './restore-image.failures.js';

export interface RestoreImageCommand {
  /** The raw id; validated and normalised with the same format as deletes. */
  readonly imageId: string;
  readonly principal: Principal;
}

/** What a successful restore did. */
export interface ImageRestored {
  readonly imageId: string;
  /** `active`, or the status the image had before the delete when it had no data. */
  readonly status: ImageStatus;
  readonly restoredAt: Date;
  readonly image: Image;
}

export interface RestoreImageOptions {
  /** How ids are validated and normalised (default: canonical UUID); use the delete's format. */
  readonly idFormat?: ImageIdFormat;
}

export class RestoreImage {
  readonly #idFormat: ImageIdFormat;

  constructor(
    private readonly images: ImageRepository,
    private readonly clock: Clock,
    private readonly logger: Logger = silentLogger,
    options: RestoreImageOptions = {},
  ) {
    this.#idFormat = options.idFormat ?? uuidImageIdFormat;
  }

  /**
   * Restores the image: checks the id, then that the caller is an admin, then asks the
   * repository to restore it in one transaction (which also cancels its queued data-deletion
   * jobs). `DataAlreadyDeleted` once a scrubber has claimed or finished any of its jobs: from the
   * claim on, its data may be being deleted. Never throws and never rejects.
   */
  execute(command: RestoreImageCommand): ResultAsync<ImageRestored, RestoreImageFailure> {
    return new ResultAsync(
      this.#execute(command).catch((cause: unknown) => {
        this.logger.error({ err: cause }, 'RestoreImage: unexpected exception');
        return err(storageFault(cause));
      }),
    );
  }

  async #execute({ imageId: rawId, principal }: RestoreImageCommand): Promise<Result<ImageRestored, RestoreImageFailure>> {
    const imageId = typeof rawId === 'string' ? this.#idFormat.parse(rawId) : null;
    if (imageId === null) return err(invalidImageId(this.#idFormat.description));
    if (!isAdmin(principal)) return err(restoreForbidden(imageId));

    const now = this.clock.now();
    const restored = await this.images.restoreImage(imageId, now);
    if (restored.isErr()) return err(restored.error);
    const outcome = restored.value;
    switch (outcome.kind) {
      case 'Restored':
        this.logger.info(
          { imageId, status: outcome.image.status, userId: principal.userId, projectId: principal.projectId },
          'image restored',
        );
        return ok({ imageId, status: outcome.image.status, restoredAt: now, image: outcome.image });
      case 'NotFound':
        return err(imageNotFound(imageId));
      case 'NotPendingDelete':
        // A finally deleted image is gone for good: to the caller it does not exist any more.
        return err(outcome.status === 'deleted' ? imageNotFound(imageId) : imageNotPendingDelete(imageId, outcome.status));
      case 'DataAlreadyDeleted':
        return err(dataAlreadyDeleted(imageId));
      default: {
        const unknown: never = outcome;
        return err(storageFault(unknown));
      }
    }
  }
}
