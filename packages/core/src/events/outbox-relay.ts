// The outbox relay: claims undelivered events, publishes them, and records the outcome; at least once, restart-safe.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import { backoffDelayMs, type BackoffOptions } from '../data-deletion/backoff.js';
import { PeriodicRunner, type PeriodicStartOptions } from '../lifecycle/periodic-runner.js';
import type { Clock } from '../ports/clock.port.js';
import type { EventOutbox, OutboxEvent } from '../ports/event-outbox.port.js';
import { publishFailed, type EventPublisher, type PublishError } from '../ports/event-publisher.port.js';
import type { Logger } from '../ports/logger.port.js';
import { silentLogger } from '../ports/logger.port.js';
import { storageFault, type StorageError } from '../ports/storage-error.js';

export interface OutboxRelayOptions {
  /** Events claimed and published per batch (default 100). */
  readonly batchSize?: number;
  /**
   * How long claimed events stay ours (default 60 s). When the relay dies mid-delivery the
   * events come back after this; so should exceed `publishTimeoutMs`.
   */
  readonly leaseSeconds?: number;
  /** Upper bound of events handled by one run (default 1 000). */
  readonly maxEventsPerRun?: number;
  /** A publish taking longer is abandoned; the lease brings its events back (default 30 000). */
  readonly publishTimeoutMs?: number;
  /** Delay before an event that failed is offered again (default: 1 s doubling up to 15 min). */
  readonly backoff?: BackoffOptions;
  /** Failed attempts after which each further failure of an event is logged at error (default 8). */
  readonly alertAfterAttempts?: number;
}

/** What one relay run did. */
export interface RelaySummary {
  readonly claimed: number;
  /** Published and recorded as delivered. */
  readonly delivered: number;
  /** Publish failed; offered again after a backoff. */
  readonly failed: number;
  /**
   * Publish did not answer in time, or its outcome could not be recorded: the lease brings
   * these back, so they may be published again (same id).
   */
  readonly abandoned: number;
  readonly batches: number;
  readonly stoppedBecause: 'drained' | 'max-events-per-run' | 'publish-failed' | 'not-recorded';
}

const TIMEOUT = Symbol('timeout');

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`OutboxRelay: ${name} must be an integer >= 1`);
  return v;
}

function describe(error: StorageError | PublishError): string {
  return `${error.kind}: ${error.message}`;
}

export class OutboxRelay {
  readonly #batchSize: number;
  readonly #leaseSeconds: number;
  readonly #maxEventsPerRun: number;
  readonly #publishTimeoutMs: number;
  readonly #alertAfterAttempts: number;
  readonly #runner: PeriodicRunner<Result<RelaySummary, StorageError>>;

  constructor(
    private readonly outbox: EventOutbox,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
    private readonly logger: Logger = silentLogger,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.#batchSize = positiveInteger('batchSize', options.batchSize, 100);
    this.#leaseSeconds = positiveInteger('leaseSeconds', options.leaseSeconds, 60);
    this.#maxEventsPerRun = positiveInteger('maxEventsPerRun', options.maxEventsPerRun, 1_000);
    this.#publishTimeoutMs = positiveInteger('publishTimeoutMs', options.publishTimeoutMs, 30_000);
    this.#alertAfterAttempts = positiveInteger('alertAfterAttempts', options.alertAfterAttempts, 8);
    this.#runner = new PeriodicRunner(
      () =>
        this.#run().catch((cause: unknown) => {
          // An outbox port that throws instead of answering with an error is a defect.
          this.logger.error({ err: cause }, 'outbox relay: unexpected exception');
          return err(storageFault(cause));
        }),
      (cause) => this.logger.error({ err: cause }, 'outbox relay: unexpected exception'),
    );
  }

  /**
   * Delivers pending events in batches until none are pending, `maxEventsPerRun` is reached, or
   * a publish fails (the sink is down: wait for the next run). A call while a run is in flight
   * joins that run. Never rejects.
   */
  runOnce(): ResultAsync<RelaySummary, StorageError> {
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

  async #run(): Promise<Result<RelaySummary, StorageError>> {
    let claimedTotal = 0;
    let delivered = 0;
    let failed = 0;
    let abandoned = 0;
    let batches = 0;
    let stoppedBecause: RelaySummary['stoppedBecause'] = 'drained';
    const facts = () => ({ claimed: claimedTotal, delivered, failed, abandoned, batches, stoppedBecause });

    while (claimedTotal < this.#maxEventsPerRun) {
      const limit = Math.min(this.#batchSize, this.#maxEventsPerRun - claimedTotal);
      const claimed = await this.outbox.claimPending({ now: this.clock.now(), limit, leaseSeconds: this.#leaseSeconds });
      if (claimed.isErr()) {
        this.logger.warn({ ...facts(), error: describe(claimed.error), err: claimed.error.cause }, 'outbox relay run stopped: could not claim events');
        return err(claimed.error);
      }
      const events = claimed.value;
      if (events.length === 0) break;
      batches++;
      claimedTotal += events.length;

      const published = await this.#publish(events);
      if (published === TIMEOUT) {
        abandoned += events.length;
        this.logger.warn({ events: events.length, timeoutMs: this.#publishTimeoutMs }, 'event publish did not answer in time; the lease will offer the events again');
        stoppedBecause = 'publish-failed';
        break;
      }
      const failedIds = published.isErr() ? new Set(published.error.failedEventIds ?? events.map((e) => e.id)) : new Set<string>();
      const succeeded = events.filter((e) => !failedIds.has(e.id));
      const failing = events.filter((e) => failedIds.has(e.id));

      if (succeeded.length > 0) {
        const recorded = await this.outbox.markDelivered(succeeded.map((e) => e.id), this.clock.now());
        if (recorded.isErr()) {
          // Published but not recorded: they will be published again after the lease (same ids).
          abandoned += succeeded.length;
          this.logger.warn({ events: succeeded.length, error: describe(recorded.error), err: recorded.error.cause }, 'could not record delivered events; they will be delivered again');
          stoppedBecause = 'not-recorded';
        } else {
          delivered += succeeded.length;
        }
      }
      if (published.isErr()) {
        const error = describe(published.error);
        for (const event of failing) {
          if (await this.#recordFailure(event, error, published.error.cause)) failed++;
          else abandoned++;
        }
        stoppedBecause = 'publish-failed';
      }
      if (stoppedBecause !== 'drained') break;
      if (claimedTotal >= this.#maxEventsPerRun) stoppedBecause = 'max-events-per-run';
    }

    const summary: RelaySummary = { claimed: claimedTotal, delivered, failed, abandoned, batches, stoppedBecause };
    if (summary.claimed > 0) this.logger.info({ ...summary }, 'outbox relay run finished');
    else this.logger.debug({ ...summary }, 'outbox relay run: nothing pending');
    return ok(summary);
  }

  /** The publisher's answer, or TIMEOUT. A publisher that throws is treated as a failed publish. */
  async #publish(events: readonly OutboxEvent[]): Promise<Result<void, PublishError> | typeof TIMEOUT> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMEOUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMEOUT), this.#publishTimeoutMs);
      timer.unref?.();
    });
    try {
      return await Promise.race([this.publisher.publish(events), timeout]);
    } catch (cause) {
      return err(publishFailed('event publisher threw', cause));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reschedules one event with backoff; `false` when the outbox could not record it (the lease brings it back). */
  async #recordFailure(event: OutboxEvent, error: string, cause: unknown): Promise<boolean> {
    const attempts = event.attempts + 1;
    const now = this.clock.now();
    const retryAt = new Date(now.getTime() + backoffDelayMs(attempts, this.options.backoff));
    const recorded = await this.outbox.markFailed(event.id, { now, error, retryAt });
    if (recorded.isErr()) {
      this.logger.warn({ eventId: event.id, error: describe(recorded.error), err: recorded.error.cause }, 'could not record a failed event delivery; the lease will offer it again');
      return false;
    }
    const facts = { eventId: event.id, imageId: event.imageId, attempts, retryAt: retryAt.toISOString(), error, err: cause };
    if (attempts >= this.#alertAfterAttempts) this.logger.error(facts, 'event delivery keeps failing; will retry');
    else this.logger.warn(facts, 'event delivery failed; will retry');
    return true;
  }
}
