// The DeleteImage use case: validates the id, hands the store one pure decision, then deletes the data.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import type { DataDeletionSummary, DataDeletionWorker } from '../data-deletion/data-deletion-worker.js';
import type { ImageIdFormat } from '../image/image-id.js';
import { uuidImageIdFormat } from '../image/image-id.js';
import { isLive, type Image, type ImageStatus } from '../image/image.js';
import type { Principal } from '../image/principal.js';
import { isImageVisibleTo } from '../image/visibility.js';
import type { Clock } from '../ports/clock.port.js';
import type { DataDeletionJob } from '../ports/data-deletion-job-queue.port.js';
import type { DeletePolicy } from '../ports/delete-policy.port.js';
import type { DeleteImageOutcome, ImageRepository } from '../ports/image-repository.port.js';
import type { Logger } from '../ports/logger.port.js';
import { silentLogger } from '../ports/logger.port.js';
import { storageFault, type StorageError } from '../ports/storage-error.js';
import { decideDeletion, type DeleteDecision, type DeleteDecisionInputs } from './delete-decision.js';
import type { DeletionPlanSettings } from './deletion-plan.js';
import { deleteForbidden, imageNotFound, imageProtected, invalidImageId, type DeleteImageFailure } from './delete-image.failures.js';

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

/** What `onCommitted` hears of a delete that committed: enough to nudge the background work. */
export interface DeleteCommitted {
  readonly imageId: string;
  readonly status: ImageDeleted['status'];
  /** The `image.delete` event now in the outbox. */
  readonly eventId: string;
  /** When the earliest of its data-deletion jobs may be claimed by the scrubber; `null` when none was queued. */
  readonly jobsDueAt: Date | null;
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
  /** New data-deletion job ids (default: random UUIDs). */
  readonly newJobId?: () => string;
  /**
   * Called once per committed delete, right after the commit and before any inline data
   * deletion; `createImageCatalogCore` uses it to wake the outbox relay and the scrubber. Must
   * not block; one that throws is logged and changes nothing (default: none).
   */
  readonly onCommitted?: ((committed: DeleteCommitted) => void) | null;
}

export class DeleteImage {
  readonly #idFormat: ImageIdFormat;
  readonly #delaySeconds: number | null;
  readonly #inlineLeaseMs: number;
  readonly #awaitData: boolean;
  readonly #newEventId: () => string;
  readonly #newJobId: () => string;
  readonly #onCommitted: ((committed: DeleteCommitted) => void) | null;

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
    this.#newJobId = options.newJobId ?? (() => globalThis.crypto.randomUUID());
    this.#onCommitted = options.onCommitted ?? null;
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

    // A synchronous policy is decided inside the transaction: no read and no await before it.
    let mayDelete = this.#syncVerdict(principal);
    if (mayDelete === null) {
      const asked = await this.#asyncVerdict(imageId, principal);
      if (asked.isErr()) return err(asked.error);
      mayDelete = asked.value;
    }

    const now = this.clock.now();
    const delayed = this.#delaySeconds !== null;
    const plan: DeletionPlanSettings = {
      now,
      delayed,
      jobsDueAt: new Date(now.getTime() + (delayed ? (this.#delaySeconds ?? 0) * 1000 : this.#inlineLeaseMs)),
      eventId: this.#newEventId(),
      newJobId: this.#newJobId,
    };
    const inputs: DeleteDecisionInputs = { principal, mayDelete, plan };
    const outcome = await this.images.deleteImage({ imageId, decide: decideWith(inputs) });
    if (outcome.isErr()) return err(outcome.error);

    const result = outcome.value;
    switch (result.kind) {
      case 'NotFound':
        return err(imageNotFound(imageId));
      case 'Forbidden':
        return err(deleteForbidden(imageId));
      case 'Protected':
        return err(imageProtected(imageId));
      case 'Deleted':
        return ok(await this.#deleted(principal, result));
      default: {
        const unknown: never = result;
        return err(storageFault(unknown));
      }
    }
  }

  /** A synchronous policy as the pure function for the transaction, used as it is; `null` when the policy has none. */
  #syncVerdict(principal: Principal): ((image: Image) => boolean) | null {
    const policy = this.policy;
    const canDeleteSync = policy.canDeleteSync;
    return canDeleteSync === undefined ? null : (image) => canDeleteSync.call(policy, principal, image);
  }

  /**
   * An asynchronous policy, asked here on the image as read before the transaction; its verdict
   * is pinned to that image's owner: if the owner changed by commit time, the verdict no longer
   * applies and the delete is forbidden.
   */
  async #asyncVerdict(imageId: string, principal: Principal): Promise<Result<(image: Image) => boolean, StorageError>> {
    const found = await this.images.findById(imageId);
    if (found.isErr()) return err(found.error);
    const seen = found.value;
    // Nothing the caller may delete was there: the transaction answers NotFound, or Forbidden
    // for an image that appeared since (the policy never saw it).
    if (seen === null || !isLive(seen) || !isImageVisibleTo(seen, principal)) return ok(() => false);
    const allowed = await this.policy.canDelete(principal, seen);
    if (allowed.isErr()) return err(allowed.error);
    const verdict = allowed.value;
    return ok((image) => verdict && image.owner === seen.owner);
  }

  /** After the commit: logs, runs the jobs inline in immediate mode, and says what was done. */
  async #deleted(principal: Principal, result: Extract<DeleteImageOutcome, { kind: 'Deleted' }>): Promise<ImageDeleted> {
    const { image, jobs, event } = result;
    this.logger.info(
      {
        imageId: image.id,
        status: image.status,
        jobs: jobs.length,
        eventId: event.id,
        userId: principal.userId,
        projectId: principal.projectId,
      },
      'image deleted',
    );
    this.#tellCommitted(image.id, image.status, event.id, jobs);
    let inline: DataDeletionSummary | null = null;
    if (this.#delaySeconds === null && this.dataDeletion !== null && jobs.length > 0) {
      const running = this.dataDeletion.run(jobs);
      if (this.#awaitData) {
        const summary = await running;
        if (summary.isOk()) inline = summary.value;
      }
    }
    return {
      imageId: image.id,
      status: image.status,
      deletedAt: image.deletedAt,
      eventId: event.id,
      dataDeletionJobs: jobs.length,
      inlineDataDeletion: inline,
    };
  }

  #tellCommitted(imageId: string, status: ImageDeleted['status'], eventId: string, jobs: readonly DataDeletionJob[]): void {
    if (this.#onCommitted === null) return;
    let jobsDueAt: Date | null = null;
    for (const job of jobs) if (jobsDueAt === null || job.availableAt < jobsDueAt) jobsDueAt = job.availableAt;
    try {
      this.#onCommitted({ imageId, status, eventId, jobsDueAt });
    } catch (cause) {
      // The delete committed; a broken hook only costs the background work its early start.
      this.logger.error({ imageId, err: cause }, 'DeleteImage: onCommitted hook threw');
    }
  }
}

/**
 * The request's `decide`: core's decision on these inputs. A returned arrow has no inferred name,
 * so a transpiler that keeps function names (tsx, esbuild `keepNames`) adds no per-call work.
 */
function decideWith(inputs: DeleteDecisionInputs): (image: Image | null) => DeleteDecision {
  return (image) => decideDeletion(image, inputs);
}
