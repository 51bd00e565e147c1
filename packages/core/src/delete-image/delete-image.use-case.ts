// The DeleteImage use case: checks in DESIGN order, one conditional transaction, then the data.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import type { DataDeletionSummary, DataDeletionWorker } from '../data-deletion/data-deletion-worker.js';
import type { ImageIdFormat } from '../image/image-id.js';
import { uuidImageIdFormat } from '../image/image-id.js';
import type { Image, ImageStatus } from '../image/image.js';
import type { Principal } from '../image/principal.js';
import { isImageVisibleTo } from '../image/visibility.js';
import type { Clock } from '../ports/clock.port.js';
import type { DeletePolicy } from '../ports/delete-policy.port.js';
import type { DeleteAuthorization, DeleteImageOutcome, DeleteImageRequest, ImageRepository } from '../ports/image-repository.port.js';
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

/**
 * `expectedOwner` on the single-read path. Adapters that implement `authorize` ignore it; one
 * that does not compares it with the image's owner, and no owner is this (NUL is not allowed in
 * a project id, and PostgreSQL text cannot even hold it), so it answers `OwnerChanged` and the
 * use case falls back to the read-then-delete path instead of deleting without any check.
 */
const AUTHORIZE_OWNER_SENTINEL = '\u0000image-catalog:authorize';

/** `#deleteInOneRead` met an adapter that does not implement `authorize`. */
const ADAPTER_IGNORED_AUTHORIZE = Symbol('adapter ignored authorize');

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

    if (this.policy.canDeleteSync !== undefined) {
      const fast = await this.#deleteInOneRead(imageId, principal);
      if (fast !== ADAPTER_IGNORED_AUTHORIZE) return fast;
      this.logger.warn({ imageId }, 'DeleteImage: the image repository ignores DeleteImageRequest.authorize; using findById and the policy instead');
    }
    return this.#deleteAfterRead(imageId, principal);
  }

  /**
   * The single-read path (the policy has `canDeleteSync`): no `findById`; visibility and the
   * policy run inside the adapter's delete transaction, in DESIGN §3 order (visibility → 404,
   * policy → 403, then the adapter's protected check → 403), on the image the delete commits on.
   */
  async #deleteInOneRead(imageId: string, principal: Principal): Promise<Result<ImageDeleted, DeleteImageFailure> | typeof ADAPTER_IGNORED_AUTHORIZE> {
    const policy = this.policy;
    const authorize = (image: Image): DeleteAuthorization =>
      !isImageVisibleTo(image, principal) ? 'NotFound' : !policy.canDeleteSync!(principal, image) ? 'Forbidden' : 'Allowed';
    // An adapter that honours `authorize` ignores `expectedOwner`; one that does not compares it
    // with an owner no image can have and answers `OwnerChanged` instead of deleting unchecked.
    const request = this.#request(imageId, AUTHORIZE_OWNER_SENTINEL, authorize);
    const outcome = await this.images.deleteImage(request);
    if (outcome.isErr()) return err(outcome.error);
    const result = outcome.value;
    switch (result.kind) {
      case 'NotFound':
        return err(imageNotFound(imageId));
      case 'Forbidden':
        return err(deleteForbidden(imageId));
      case 'Protected':
        return err(imageProtected(imageId));
      case 'OwnerChanged':
        return ADAPTER_IGNORED_AUTHORIZE;
      case 'Deleted':
        return ok(await this.#deleted(imageId, principal, result, request));
      default: {
        const unknown: never = result;
        return err(storageFault(unknown));
      }
    }
  }

  /** The path for policies without `canDeleteSync` (e.g. async ones): read, check, then the owner-guarded delete. */
  async #deleteAfterRead(imageId: string, principal: Principal): Promise<Result<ImageDeleted, DeleteImageFailure>> {
    for (let attempt = 0; ; attempt++) {
      const found = await this.images.findById(imageId);
      if (found.isErr()) return err(found.error);
      const image = found.value;
      if (image === null || !isImageVisibleTo(image, principal)) return err(imageNotFound(imageId));

      const allowed = await this.policy.canDelete(principal, image);
      if (allowed.isErr()) return err(allowed.error);
      if (!allowed.value) return err(deleteForbidden(imageId));
      if (image.protected) return err(imageProtected(imageId));

      const request = this.#request(imageId, image.owner);
      const outcome = await this.images.deleteImage(request);
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
        case 'Forbidden':
          // Only an `authorize` callback answers this, and this path passes none: an adapter defect.
          return err(storageFault(new Error('deleteImage answered Forbidden without an authorize callback')));
        case 'Deleted':
          return ok(await this.#deleted(imageId, principal, result, request));
        default: {
          const unknown: never = result;
          return err(storageFault(unknown));
        }
      }
    }
  }

  #request(imageId: string, expectedOwner: string | null, authorize?: (image: Image) => DeleteAuthorization): DeleteImageRequest {
    const now = this.clock.now();
    const delayed = this.#delaySeconds !== null;
    const jobsDueAt = new Date(now.getTime() + (delayed ? this.#delaySeconds! * 1000 : this.#inlineLeaseMs));
    const request: DeleteImageRequest = { imageId, expectedOwner, deletedAt: now, delayed, jobsDueAt, eventId: this.#newEventId() };
    return authorize === undefined ? request : { ...request, authorize };
  }

  /** After the commit: logs, runs the jobs inline in immediate mode, and says what was done. */
  async #deleted(imageId: string, principal: Principal, result: Extract<DeleteImageOutcome, { kind: 'Deleted' }>, request: DeleteImageRequest): Promise<ImageDeleted> {
    this.logger.info(
      { imageId, status: result.image.status, jobs: result.jobs.length, eventId: result.event.id, userId: principal.userId, projectId: principal.projectId },
      'image deleted',
    );
    const delayed = this.#delaySeconds !== null;
    let inline: DataDeletionSummary | null = null;
    if (!delayed && this.dataDeletion !== null && result.jobs.length > 0) {
      const running = this.dataDeletion.run(result.jobs);
      if (this.#awaitData) {
        const summary = await running;
        if (summary.isOk()) inline = summary.value;
      }
    }
    const status = result.image.status === 'pending_delete' ? 'pending_delete' : 'deleted';
    return {
      imageId,
      status,
      deletedAt: result.image.deletedAt ?? request.deletedAt,
      eventId: result.event.id,
      dataDeletionJobs: result.jobs.length,
      inlineDataDeletion: inline,
    };
  }
}
