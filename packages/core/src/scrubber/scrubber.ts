// The scrubber: claims due data-deletion jobs and runs them until the queue is drained, then purges the children of images finally deleted.
import { err, ok, type Result, type ResultAsync } from 'neverthrow';
import type { DataDeletionWorker, JobRunOutcome } from '../data-deletion/data-deletion-worker.js';
import { BackgroundLoop, drainInBatches, positiveIntegerOption } from '../lifecycle/background-loop.js';
import type { PeriodicStartOptions } from '../lifecycle/periodic-runner.js';
import type { Clock } from '../ports/clock.port.js';
import type { DataDeletionJobQueue, JobCounts } from '../ports/data-deletion-job-queue.port.js';
import type { Logger } from '../ports/logger.port.js';
import { describeFailure } from '../observability/describe-failure.js';
import { silentLogger } from '../ports/logger.port.js';
import type { StorageError } from '../ports/storage-error.js';

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
  /**
   * How long a finally deleted image keeps its properties, tags, members and locations before a
   * run purges them (`DataDeletionJobQueue.purgeDeletedChildren`), in seconds (default 86 400:
   * a day, in which the image still reads back whole by id). `null`: never purge.
   */
  readonly purgeAfterSeconds?: number | null;
  /** Child rows removed per purge call, i.e. per store transaction (default 500). */
  readonly purgeBatchSize?: number;
  /** Upper bound of child rows one run purges (default 10 000); the rest waits for the next run. */
  readonly maxPurgedPerRun?: number;
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
  /** Child rows of finally deleted images purged by this run, after its jobs. */
  readonly purged: number;
  readonly outcomes: readonly JobRunOutcome[];
}

export class Scrubber {
  readonly #batchSize: number;
  readonly #leaseSeconds: number;
  readonly #maxJobsPerRun: number;
  readonly #purgeAfterMs: number | null;
  readonly #purgeBatchSize: number;
  readonly #maxPurgedPerRun: number;
  readonly #loop: BackgroundLoop<ScrubSummary>;
  /** The last run deleted nothing or could not claim: the store is down, so wakes wait for the interval. */
  #storeFailing = false;

  constructor(
    private readonly queue: DataDeletionJobQueue,
    private readonly worker: DataDeletionWorker,
    private readonly clock: Clock,
    private readonly logger: Logger = silentLogger,
    options: ScrubberOptions = {},
  ) {
    this.#batchSize = positiveIntegerOption('Scrubber', 'batchSize', options.batchSize, 50);
    this.#leaseSeconds = positiveIntegerOption('Scrubber', 'leaseSeconds', options.leaseSeconds, 300);
    this.#maxJobsPerRun = positiveIntegerOption('Scrubber', 'maxJobsPerRun', options.maxJobsPerRun, 1_000);
    this.#purgeAfterMs = purgeAfterMs(options.purgeAfterSeconds);
    this.#purgeBatchSize = positiveIntegerOption('Scrubber', 'purgeBatchSize', options.purgeBatchSize, 500);
    this.#maxPurgedPerRun = positiveIntegerOption('Scrubber', 'maxPurgedPerRun', options.maxPurgedPerRun, 10_000);
    this.#loop = new BackgroundLoop('scrubber', logger, () => this.#run());
  }

  /**
   * Claims due jobs in batches and runs them until none are due, `maxJobsPerRun` is reached, or a
   * batch deleted nothing (the store is down: wait for the next run rather than burn through
   * the backlog's attempts). Then purges the children of images deleted more than
   * `purgeAfterSeconds` ago whose data is all gone, in batches of `purgeBatchSize` rows, up to
   * `maxPurgedPerRun`; a purge that fails is logged and left to the next run (the jobs' summary
   * still answers). A call while a run is in flight joins that run. Never rejects.
   */
  runOnce(): ResultAsync<ScrubSummary, StorageError> {
    return this.#loop.runOnce();
  }

  /**
   * Runs now, then again when the earliest queued job becomes due (`nextDueAt`), or after
   * `intervalMs` at the latest; no overlapping runs, timers unref'd.
   */
  start(options: PeriodicStartOptions): void {
    this.#loop.start(options);
  }

  /**
   * Tells a started loop that jobs become due at `at` (default now): it runs then, unless it was
   * going to run sooner. For whoever queues jobs (a delete in delayed-delete mode). While the
   * data store is failing (the last run deleted nothing) wakes are ignored: the loop waits its
   * interval rather than spend the backlog's attempts. Does nothing when the loop is not started.
   */
  wake(at?: Date): void {
    if (this.#storeFailing) return;
    this.#loop.wake(at === undefined ? 0 : at.getTime() - this.clock.now().getTime());
  }

  /** Stops the loop and waits for the run in flight. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** For operators: puts dead-lettered jobs (all, or these) back in the queue, due now; a started loop runs them at once. */
  requeueDead(jobIds?: readonly string[]): ResultAsync<number, StorageError> {
    return this.queue.requeueDead(this.clock.now(), jobIds).map((count) => {
      this.logger.info({ count, jobIds }, 'dead data-deletion jobs requeued');
      if (count > 0) this.#loop.wake();
      return count;
    });
  }

  /** For operators and health checks: jobs per state. */
  counts(): ResultAsync<JobCounts, StorageError> {
    return this.queue.counts();
  }

  async #run(): Promise<Result<ScrubSummary, StorageError>> {
    const outcomes: JobRunOutcome[] = [];
    const drained = await drainInBatches({
      batchSize: this.#batchSize,
      maxPerRun: this.#maxJobsPerRun,
      claim: (limit) => this.queue.claimDue({ now: this.clock.now(), limit, leaseSeconds: this.#leaseSeconds }),
      handle: async (jobs): Promise<'no-progress' | 'continue'> => {
        const summary = await this.worker.run(jobs);
        // `run` never fails; the guard keeps the type honest.
        if (summary.isErr()) return 'no-progress';
        outcomes.push(...summary.value.outcomes);
        // Nothing deleted: the store is down; wait for the next run rather than burn the backlog's attempts.
        return summary.value.done === 0 ? 'no-progress' : 'continue';
      },
    });
    if (drained.isErr()) {
      const { error } = drained.error;
      this.#storeFailing = true;
      this.logger.warn(
        { error: describeFailure(error), err: error.cause, ...count(outcomes) },
        'scrubber run stopped: could not claim jobs',
      );
      return err(error);
    }
    const { batches } = drained.value;
    const stoppedBecause = drained.value.stoppedBecause === 'max-per-run' ? 'max-jobs-per-run' : drained.value.stoppedBecause;
    const purged = await this.#purge();
    this.#storeFailing = stoppedBecause === 'no-progress';
    if (stoppedBecause === 'drained' && this.#loop.running) await this.#wakeWhenNextDue();
    const result: ScrubSummary = { ...count(outcomes), batches, stoppedBecause, purged, outcomes };
    const facts = {
      claimed: result.claimed,
      done: result.done,
      retried: result.retried,
      dead: result.dead,
      abandoned: result.abandoned,
      batches,
      stoppedBecause,
      purged,
    };
    if (result.dead > 0) {
      this.logger.error(
        { ...facts, deadJobs: outcomes.filter((o) => o.kind === 'dead').map((o) => ({ jobId: o.job.id, imageId: o.job.imageId })) },
        'scrubber run dead-lettered data-deletion jobs: image data is left behind until an operator requeues them',
      );
    } else if (result.claimed > 0 || purged > 0) {
      this.logger.info(facts, 'scrubber run finished');
    } else {
      this.logger.debug(facts, 'scrubber run: nothing due');
    }
    return ok(result);
  }

  /**
   * After a run that left nothing due: the next run is when the earliest queued job becomes due
   * (the interval still bounds it). A failed read only means the interval decides.
   */
  async #wakeWhenNextDue(): Promise<void> {
    const next = await this.queue.nextDueAt();
    if (next.isErr()) {
      this.logger.debug(
        { error: describeFailure(next.error), err: next.error.cause },
        'scrubber: could not read when the next job is due; next run after the interval',
      );
      return;
    }
    if (next.value !== null) this.#loop.wake(next.value.getTime() - this.clock.now().getTime());
  }

  /**
   * Purge batches until one removes fewer rows than asked (nothing left) or the run's cap is
   * reached. Bounded: every batch but the last removes a full batch. Answers the rows removed.
   */
  async #purge(): Promise<number> {
    if (this.#purgeAfterMs === null) return 0;
    const olderThan = new Date(this.clock.now().getTime() - this.#purgeAfterMs);
    let purged = 0;
    while (purged < this.#maxPurgedPerRun) {
      const limit = Math.min(this.#purgeBatchSize, this.#maxPurgedPerRun - purged);
      const removed = await this.queue.purgeDeletedChildren({ olderThan, limit });
      if (removed.isErr()) {
        const { error } = removed;
        this.logger.warn(
          { error: describeFailure(error), err: error.cause, purged },
          'scrubber: purging the children of deleted images failed; the next run tries again',
        );
        break;
      }
      purged += removed.value;
      if (removed.value < limit) break;
    }
    return purged;
  }
}

/** `purgeAfterSeconds` in milliseconds: a finite number >= 0, or `null` (never purge). */
function purgeAfterMs(seconds: number | null | undefined): number | null {
  if (seconds === null) return null;
  const value = seconds ?? 86_400;
  if (!(Number.isFinite(value) && value >= 0)) throw new RangeError('Scrubber: purgeAfterSeconds must be a finite number >= 0, or null');
  return value * 1000;
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
