// The scrubber: claims due data-deletion jobs and runs them, periodically or on demand, until the queue is drained.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import type { DataDeletionWorker, JobRunOutcome } from '../data-deletion/data-deletion-worker.js';
import { PeriodicRunner, type PeriodicStartOptions } from '../lifecycle/periodic-runner.js';
import type { Clock } from '../ports/clock.port.js';
import type { DataDeletionJobQueue, JobCounts } from '../ports/data-deletion-job-queue.port.js';
import type { Logger } from '../ports/logger.port.js';
import { silentLogger } from '../ports/logger.port.js';
import { storageFault, type StorageError } from '../ports/storage-error.js';

export interface ScrubberOptions {
  /** Jobs claimed per batch (default 50). */
  readonly batchSize?: number;
  /**
   * How long claimed jobs stay ours (default 300 s). Should exceed the time a batch may take
   * (per-job timeout x batch size / worker concurrency); a lease that runs out early only
   * means another scrubber may delete the same data again, which is harmless.
   */
  readonly leaseSeconds?: number;
  /** Upper bound of jobs handled by one run, so a long backlog cannot monopolise a run (default 1 000). */
  readonly maxJobsPerRun?: number;
}

/** What one scrubber run did. */
export interface ScrubSummary {
  readonly claimed: number;
  readonly done: number;
  /** Failed and rescheduled with backoff. */
  readonly retried: number;
  /** Failed for good: dead-lettered, waiting for an operator (`requeueDead`). */
  readonly dead: number;
  /** The store did not answer in time, or the result could not be recorded: the lease brings them back. */
  readonly abandoned: number;
  readonly batches: number;
  /** Why the run ended. */
  readonly stoppedBecause: 'drained' | 'max-jobs-per-run' | 'no-progress';
  readonly outcomes: readonly JobRunOutcome[];
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`Scrubber: ${name} must be an integer >= 1`);
  return v;
}

export class Scrubber {
  readonly #batchSize: number;
  readonly #leaseSeconds: number;
  readonly #maxJobsPerRun: number;
  readonly #runner: PeriodicRunner<Result<ScrubSummary, StorageError>>;

  constructor(
    private readonly queue: DataDeletionJobQueue,
    private readonly worker: DataDeletionWorker,
    private readonly clock: Clock,
    private readonly logger: Logger = silentLogger,
    options: ScrubberOptions = {},
  ) {
    this.#batchSize = positiveInteger('batchSize', options.batchSize, 50);
    this.#leaseSeconds = positiveInteger('leaseSeconds', options.leaseSeconds, 300);
    this.#maxJobsPerRun = positiveInteger('maxJobsPerRun', options.maxJobsPerRun, 1_000);
    this.#runner = new PeriodicRunner(
      () =>
        this.#run().catch((cause: unknown) => {
          // A queue port that throws instead of answering with an error is a defect.
          this.logger.error({ err: cause }, 'scrubber: unexpected exception');
          return err(storageFault(cause));
        }),
      (cause) => this.logger.error({ err: cause }, 'scrubber: unexpected exception'),
    );
  }

  /**
   * Claims due jobs in batches and runs them until none are due, `maxJobsPerRun` is reached, or a
   * batch deleted nothing (the store is down: wait for the next run rather than burn through
   * the backlog's attempts). A call while a run is in flight joins that run. Never rejects.
   */
  runOnce(): ResultAsync<ScrubSummary, StorageError> {
    return new ResultAsync(this.#runner.runNow());
  }

  /** Runs now, then `intervalMs` after the end of each run; no overlapping runs, timers unref'd. */
  start(options: PeriodicStartOptions): void {
    this.#runner.start(options);
  }

  /** Stops the loop and waits for the run in flight. */
  stop(): Promise<void> {
    return this.#runner.stop();
  }

  /** For operators: puts dead-lettered jobs (all, or these) back in the queue, due now. */
  requeueDead(jobIds?: readonly string[]): ResultAsync<number, StorageError> {
    return this.queue.requeueDead(this.clock.now(), jobIds).map((count) => {
      this.logger.info({ count, jobIds }, 'dead data-deletion jobs requeued');
      return count;
    });
  }

  /** For operators and health checks: jobs per state. */
  counts(): ResultAsync<JobCounts, StorageError> {
    return this.queue.counts();
  }

  async #run(): Promise<Result<ScrubSummary, StorageError>> {
    const outcomes: JobRunOutcome[] = [];
    let batches = 0;
    let stoppedBecause: ScrubSummary['stoppedBecause'] = 'drained';
    // Bounded: every batch claims at least one job and the total is capped.
    while (outcomes.length < this.#maxJobsPerRun) {
      const limit = Math.min(this.#batchSize, this.#maxJobsPerRun - outcomes.length);
      const claimed = await this.queue.claimDue({ now: this.clock.now(), limit, leaseSeconds: this.#leaseSeconds });
      if (claimed.isErr()) {
        this.logger.warn({ error: `${claimed.error.kind}: ${claimed.error.message}`, err: claimed.error.cause, ...count(outcomes) }, 'scrubber run stopped: could not claim jobs');
        return err(claimed.error);
      }
      const jobs = claimed.value;
      if (jobs.length === 0) break;
      batches++;
      const summary = await this.worker.run(jobs);
      // `run` never fails; the guard keeps the type honest.
      if (summary.isErr()) break;
      outcomes.push(...summary.value.outcomes);
      if (summary.value.done === 0) {
        stoppedBecause = 'no-progress';
        break;
      }
      if (outcomes.length >= this.#maxJobsPerRun) stoppedBecause = 'max-jobs-per-run';
    }
    const result: ScrubSummary = { ...count(outcomes), batches, stoppedBecause, outcomes };
    const facts = { claimed: result.claimed, done: result.done, retried: result.retried, dead: result.dead, abandoned: result.abandoned, batches, stoppedBecause };
    if (result.dead > 0) {
      this.logger.error(
        { ...facts, deadJobs: outcomes.filter((o) => o.kind === 'dead').map((o) => ({ jobId: o.job.id, imageId: o.job.imageId })) },
        'scrubber run dead-lettered data-deletion jobs: image data is left behind until an operator requeues them',
      );
    } else if (result.claimed > 0) {
      this.logger.info(facts, 'scrubber run finished');
    } else {
      this.logger.debug(facts, 'scrubber run: nothing due');
    }
    return ok(result);
  }
}

function count(outcomes: readonly JobRunOutcome[]): Pick<ScrubSummary, 'claimed' | 'done' | 'retried' | 'dead' | 'abandoned'> {
  let done = 0;
  let retried = 0;
  let dead = 0;
  let abandoned = 0;
  for (const outcome of outcomes) {
    switch (outcome.kind) {
      case 'done':
        done++;
        break;
      case 'retry':
        retried++;
        break;
      case 'dead':
        dead++;
        break;
      case 'abandoned':
        abandoned++;
        break;
      default: {
        const unknown: never = outcome;
        void unknown;
      }
    }
  }
  return { claimed: outcomes.length, done, retried, dead, abandoned };
}
