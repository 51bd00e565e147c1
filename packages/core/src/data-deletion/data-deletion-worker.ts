// Runs data-deletion jobs through the data store: inline after a delete, and for the scrubber.
import { err, ResultAsync, type Result } from 'neverthrow';
import type { Clock } from '../ports/clock.port.js';
import type { DataDeletionJob, DataDeletionJobQueue } from '../ports/data-deletion-job-queue.port.js';
import type { DataStoreError, ImageDataStore } from '../ports/image-data-store.port.js';
import type { Logger } from '../ports/logger.port.js';
import { describeFailure } from '../observability/describe-failure.js';
import { silentLogger } from '../ports/logger.port.js';
import type { StorageError } from '../ports/storage-error.js';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import { withTimeout } from '../lifecycle/with-timeout.js';

export interface DataDeletionWorkerOptions {
  /** Failed attempts after which a job is dead-lettered (default 8). */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
  /** A data-store call taking longer is abandoned; its lease brings the job back (default 10 000). */
  readonly perJobTimeoutMs?: number;
  /** Jobs deleted at once (default 8). */
  readonly concurrency?: number;
}

export type JobRunOutcome =
  | { readonly kind: 'done'; readonly job: DataDeletionJob }
  | { readonly kind: 'retry'; readonly job: DataDeletionJob; readonly retryAt: Date; readonly error: string }
  | { readonly kind: 'dead'; readonly job: DataDeletionJob; readonly error: string }
  /** The store did not answer in time, or the queue could not record the result: the lease will bring it back. */
  | { readonly kind: 'abandoned'; readonly job: DataDeletionJob; readonly error: string };

export interface DataDeletionSummary {
  readonly done: number;
  readonly retry: number;
  readonly dead: number;
  readonly abandoned: number;
  readonly outcomes: readonly JobRunOutcome[];
}

export class DataDeletionWorker {
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #concurrency: number;

  constructor(
    private readonly store: ImageDataStore,
    private readonly queue: DataDeletionJobQueue,
    private readonly clock: Clock,
    private readonly logger: Logger = silentLogger,
    private readonly options: DataDeletionWorkerOptions = {},
  ) {
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#timeoutMs = options.perJobTimeoutMs ?? 10_000;
    this.#concurrency = Math.max(1, options.concurrency ?? 8);
  }

  /** Runs the given jobs now. Never fails: every outcome is recorded in the queue or left to the lease. */
  run(jobs: readonly DataDeletionJob[]): ResultAsync<DataDeletionSummary, never> {
    return ResultAsync.fromSafePromise(this.#runAll(jobs));
  }

  async #runAll(jobs: readonly DataDeletionJob[]): Promise<DataDeletionSummary> {
    const outcomes: JobRunOutcome[] = new Array(jobs.length);
    let next = 0;
    const lane = async () => {
      while (next < jobs.length) {
        const index = next++;
        const job = jobs[index];
        if (job === undefined) break;
        try {
          outcomes[index] = await this.#runOne(job);
        } catch (cause) {
          // A queue port that throws is a defect; the job's lease brings it back to the scrubber.
          this.logger.error({ jobId: job.id, imageId: job.imageId, err: cause }, 'data deletion: unexpected exception');
          outcomes[index] = { kind: 'abandoned', job, error: 'unexpected exception' };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, jobs.length) }, lane));
    const count = (kind: JobRunOutcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
    return { done: count('done'), retry: count('retry'), dead: count('dead'), abandoned: count('abandoned'), outcomes };
  }

  async #runOne(job: DataDeletionJob): Promise<JobRunOutcome> {
    const timed = await withTimeout(() => this.store.delete(job.url), this.#timeoutMs);
    if (timed.kind === 'timedOut') {
      const error = `data store did not answer within ${this.#timeoutMs} ms`;
      this.logger.warn({ jobId: job.id, imageId: job.imageId, error }, 'data deletion abandoned; the scrubber will retry');
      return { kind: 'abandoned', job, error };
    }
    // A store that throws instead of answering with an error is a defect; treat it as a failed attempt.
    const deleted: Result<void, DataStoreError> =
      timed.kind === 'answered' ? timed.value : err({ kind: 'DataStoreFault', message: 'data store threw', cause: timed.cause });
    const now = this.clock.now();
    if (deleted.isOk()) {
      const recorded = await this.queue.complete(job.id, now);
      if (recorded.isErr()) return this.#unrecorded(job, recorded.error);
      this.logger.debug({ jobId: job.id, imageId: job.imageId }, 'image data deleted');
      return { kind: 'done', job };
    }
    const error = describeFailure(deleted.error);
    const attempts = job.attempts + 1;
    const permanent = deleted.error.kind === 'DataStoreRejected';
    const retryAt =
      permanent || attempts >= this.#maxAttempts ? null : new Date(now.getTime() + backoffDelayMs(attempts, this.options.backoff));
    const recorded = await this.queue.fail(job.id, { now, error, retryAt });
    if (recorded.isErr()) return this.#unrecorded(job, recorded.error);
    if (retryAt === null) {
      this.logger.error(
        { jobId: job.id, imageId: job.imageId, attempts, error },
        'data deletion dead-lettered: needs an operator (requeue after fixing the store)',
      );
      return { kind: 'dead', job, error };
    }
    this.logger.warn(
      { jobId: job.id, imageId: job.imageId, attempts, retryAt: retryAt.toISOString(), error },
      'data deletion failed; will retry',
    );
    return { kind: 'retry', job, retryAt, error };
  }

  #unrecorded(job: DataDeletionJob, error: StorageError): JobRunOutcome {
    this.logger.warn(
      { jobId: job.id, imageId: job.imageId, error: describeFailure(error), err: error.cause },
      'could not record a data-deletion result; the lease will bring the job back',
    );
    return { kind: 'abandoned', job, error: describeFailure(error) };
  }
}
