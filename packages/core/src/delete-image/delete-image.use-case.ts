// The DeleteImage use case: checks in DESIGN order, one conditional transaction, then the data.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import type { DataDeletionSummary, DataDeletionWorker } from '../data-deletion/data-deletion-worker.js';
import type { ImageIdFormat } from '../image/image-id.js';
import { uuidImageIdFormat } from '../image/image-id.js';
import type { ImageStatus } from '../image/image.js';
import type { Principal } from '../image/principal.js';
import { isImageVisibleTo } from '../image/visibility.js';
import type { Clock } from '../ports/clock.port.js';
import type { DeletePolicy } from '../ports/delete-policy.port.js';
import type { ImageRepository } from '../ports/image-repository.port.js';
import type { Logger } from '../ports/logger.port.js';
import { silentLogger } from '../ports/logger.port.js';
import { storageFault } from '../ports/storage-error.js';
import {
  deleteForbidden,
  imageNotFound,
  imageProtected,
  invalidImageId,
  type DeleteImageFailure,
} from './delete-image.failures.js';

export interface DeleteImageCommand {
  /** The raw id from the request path; validated and normalised here. */
  readonly imageId: string;
  readonly principal: Principal;
}

/** What a successful delete did. */
export interface ImageDeleted {
  readonly imageId: string;
  /** `deleted`, or `pending_delete` in delayed-delete mode for an image with data. */
  readonly status: Extract<ImageStatus, 'deleted' | 'pending_delete'>;
  readonly deletedAt: Date;
  readonly eventId: string;
  /** Data-deletion jobs queued by the delete. */
  readonly dataDeletionJobs: number;
  /** What the inline run did (immediate mode only; `null` when nothing ran inline). */
  readonly inlineDataDeletion: DataDeletionSummary | null;
}

export interface DeleteImageOptions {
  /** How ids are validated and normalised (default: canonical UUID). */
  readonly idFormat?: ImageIdFormat;
  /** Delayed-delete mode: images with data go to `pending_delete`; jobs become due after the delay. */
  readonly delayedDelete?: { readonly delaySeconds: number } | null;
  /**
   * Immediate mode: how long the inline data deletion owns the new jobs before the scrubber may
   * take them over (default 60 s). A crash between commit and data deletion costs at most this.
   */
  readonly inlineLeaseSeconds?: number;
  /**
   * Immediate mode: wait for the inline data deletion before answering (default `true`), so a
   * success means the data is gone unless the store failed. `false` answers right after commit.
   */
  readonly awaitDataDeletion?: boolean;
  /** New event ids (default: random UUIDs). */
  readonly newEventId?: () => string;
}

/** How often the conditional delete is retried when the owner changed underneath it. */
const MAX_OWNER_CHANGE_RETRIES = 3;

export class DeleteImage {
  readonly #idFormat: ImageIdFormat;
  readonly #delaySeconds: number | null;
  readonly #inlineLeaseMs: number;
  readonly #awaitData: boolean;
  readonly #newEventId: () => string;

  constructor(
    private readonly images: ImageRepository,
    private readonly policy: DeletePolicy,
    private readonly clock: Clock,
    /** Runs the new jobs inline in immediate mode; `null` leaves everything to the scrubber. */
    private readonly dataDeletion: DataDeletionWorker | null,
    private readonly logger: Logger = silentLogger,
    options: DeleteImageOptions = {},
  ) {
    this.#idFormat = options.idFormat ?? uuidImageIdFormat;
    const delay = options.delayedDelete?.delaySeconds;
    if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0)) {
      throw new RangeError('DeleteImage: delayedDelete.delaySeconds must be a finite number >= 0');
    }
    this.#delaySeconds = delay ?? null;
    this.#inlineLeaseMs = (options.inlineLeaseSeconds ?? 60) * 1000;
    this.#awaitData = options.awaitDataDeletion ?? true;
    this.#newEventId = options.newEventId ?? (() => globalThis.crypto.randomUUID());
  }

  /** Deletes the image. Never throws and never rejects: every outcome is a value. */
  execute(command: DeleteImageCommand): ResultAsync<ImageDeleted, DeleteImageFailure> {
    return new ResultAsync(
      this.#execute(command).catch((cause: unknown) => {
        // A port that throws instead of returning an error is a defect: answer 500, log it.
        this.logger.error({ err: cause }, 'DeleteImage: unexpected exception');
        return err(storageFault(cause));
      }),
    );
  }

  async #execute({ imageId: rawId, principal }: DeleteImageCommand): Promise<Result<ImageDeleted, DeleteImageFailure>> {
    const imageId = typeof rawId === 'string' ? this.#idFormat.parse(rawId) : null;
    if (imageId === null) return err(invalidImageId(this.#idFormat.description));

    for (let attempt = 0; ; attempt++) {
      const found = await this.images.findById(imageId);
      if (found.isErr()) return err(found.error);
      const image = found.value;
      if (image === null || !isImageVisibleTo(image, principal)) return err(imageNotFound(imageId));

      const allowed = await this.policy.canDelete(principal, image);
      if (allowed.isErr()) return err(allowed.error);
      if (!allowed.value) return err(deleteForbidden(imageId));
      if (image.protected) return err(imageProtected(imageId));

      const now = this.clock.now();
      const delayed = this.#delaySeconds !== null;
      const jobsDueAt = new Date(now.getTime() + (delayed ? this.#delaySeconds! * 1000 : this.#inlineLeaseMs));
      const outcome = await this.images.deleteImage({
        imageId,
        expectedOwner: image.owner,
        deletedAt: now,
        delayed,
        jobsDueAt,
        eventId: this.#newEventId(),
      });
      if (outcome.isErr()) return err(outcome.error);

      const result = outcome.value;
      switch (result.kind) {
        case 'NotFound':
          return err(imageNotFound(imageId));
        case 'Protected':
          return err(imageProtected(imageId));
        case 'OwnerChanged':
          if (attempt + 1 >= MAX_OWNER_CHANGE_RETRIES) return err(deleteForbidden(imageId));
          continue;
        case 'Deleted': {
          this.logger.info(
            { imageId, status: result.image.status, jobs: result.jobs.length, eventId: result.event.id, userId: principal.userId, projectId: principal.projectId },
            'image deleted',
          );
          let inline: DataDeletionSummary | null = null;
          if (!delayed && this.dataDeletion !== null && result.jobs.length > 0) {
            const running = this.dataDeletion.run(result.jobs);
            if (this.#awaitData) {
              const summary = await running;
              if (summary.isOk()) inline = summary.value;
            }
          }
          const status = result.image.status === 'pending_delete' ? 'pending_delete' : 'deleted';
          return ok({
            imageId,
            status,
            deletedAt: result.image.deletedAt ?? now,
            eventId: result.event.id,
            dataDeletionJobs: result.jobs.length,
            inlineDataDeletion: inline,
          });
        }
        default: {
          const unknown: never = result;
          return err(storageFault(unknown));
        }
      }
    }
  }
}
