// The outbox relay: claims undelivered events, publishes them, and records the outcome; at least once, restart-safe.
import { err, ok, type Result, type ResultAsync } from 'neverthrow';
import { backoffDelayMs, type BackoffOptions } from '../data-deletion/backoff.js';
import { BackgroundLoop, drainInBatches, positiveIntegerOption } from '../lifecycle/background-loop.js';
import type { PeriodicStartOptions } from '../lifecycle/periodic-runner.js';
import { withTimeout } from '../lifecycle/with-timeout.js';
import type { Clock } from '../ports/clock.port.js';
import type { EventOutbox, OutboxEvent } from '../ports/event-outbox.port.js';
import { publishFailed, type EventPublisher, type PublishError } from '../ports/event-publisher.port.js';
import type { Logger } from '../ports/logger.port.js';
import { describeFailure } from '../observability/describe-failure.js';
import { silentLogger } from '../ports/logger.port.js';
import type { StorageError } from '../ports/storage-error.js';

export interface OutboxRelayOptions {
  /** Events claimed and published per batch (default 500: one publish, and with the JSON-lines sink one fsync, per batch). */
  readonly batchSize?: number;
  /**
   * How long claimed events stay ours (default 60 s). When the relay dies mid-delivery the
   * events come back after this; so should exceed `publishTimeoutMs`.
   */
  readonly leaseSeconds?: number;
  /** Upper bound of events handled by one run (default 5 000). */
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

export class OutboxRelay {
  readonly #batchSize: number;
  readonly #leaseSeconds: number;
  readonly #maxEventsPerRun: number;
  readonly #publishTimeoutMs: number;
  readonly #alertAfterAttempts: number;
  readonly #loop: BackgroundLoop<RelaySummary>;
  /** The last run could not publish, record or claim: wakes wait for the interval instead of hammering the sink. */
  #failing = false;

  constructor(
    private readonly outbox: EventOutbox,
    private readonly publisher: EventPublisher,
    private readonly clock: Clock,
    private readonly logger: Logger = silentLogger,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.#batchSize = positiveIntegerOption('OutboxRelay', 'batchSize', options.batchSize, 500);
    this.#leaseSeconds = positiveIntegerOption('OutboxRelay', 'leaseSeconds', options.leaseSeconds, 60);
    this.#maxEventsPerRun = positiveIntegerOption('OutboxRelay', 'maxEventsPerRun', options.maxEventsPerRun, 5_000);
    this.#publishTimeoutMs = positiveIntegerOption('OutboxRelay', 'publishTimeoutMs', options.publishTimeoutMs, 30_000);
    this.#alertAfterAttempts = positiveIntegerOption('OutboxRelay', 'alertAfterAttempts', options.alertAfterAttempts, 8);
    this.#loop = new BackgroundLoop('outbox relay', logger, () => this.#run());
  }

  /**
   * Delivers pending events in batches until none are pending, `maxEventsPerRun` is reached, or
   * a publish fails (the sink is down: wait for the next run). A call while a run is in flight
   * joins that run. Never rejects.
   */
  runOnce(): ResultAsync<RelaySummary, StorageError> {
    return this.#loop.runOnce();
  }

  /** Runs now, then `intervalMs` after the end of each run; no overlapping runs, timers unref'd. */
  start(options: PeriodicStartOptions): void {
    this.#loop.start(options);
  }

  /**
   * Tells a started loop that events were committed (or become due at `at`): it runs then
   * instead of at the next interval, so events leave right after their commit. Wakes coalesce
   * into one run (see `PeriodicStartOptions.minPauseMs`). While publishing fails wakes are
   * ignored and the loop keeps to its interval. Does nothing when the loop is not started.
   */
  wake(at?: Date): void {
    if (this.#failing) return;
    this.#loop.wake(at === undefined ? 0 : at.getTime() - this.clock.now().getTime());
  }

  /** Stops the loop and waits for the run in flight. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  async #run(): Promise<Result<RelaySummary, StorageError>> {
    let delivered = 0;
    let failed = 0;
    let abandoned = 0;
    const drained = await drainInBatches({
      batchSize: this.#batchSize,
      maxPerRun: this.#maxEventsPerRun,
      claim: (limit) => this.outbox.claimPending({ now: this.clock.now(), limit, leaseSeconds: this.#leaseSeconds }),
      handle: async (events): Promise<'publish-failed' | 'not-recorded' | 'continue'> => {
        const published = await this.#publish(events);
        if (published === null) {
          abandoned += events.length;
          this.logger.warn(
            { events: events.length, timeoutMs: this.#publishTimeoutMs },
            'event publish did not answer in time; the lease will offer the events again',
          );
          return 'publish-failed';
        }
        const failedIds = published.isErr() ? new Set(published.error.failedEventIds ?? events.map((e) => e.id)) : new Set<string>();
        const succeeded = events.filter((e) => !failedIds.has(e.id));
        let next: 'publish-failed' | 'not-recorded' | 'continue' = 'continue';
        if (succeeded.length > 0) {
          const recorded = await this.outbox.markDelivered(
            succeeded.map((e) => e.id),
            this.clock.now(),
          );
          if (recorded.isErr()) {
            // Published but not recorded: they will be published again after the lease (same ids).
            abandoned += succeeded.length;
            this.logger.warn(
              { events: succeeded.length, error: describeFailure(recorded.error), err: recorded.error.cause },
              'could not record delivered events; they will be delivered again',
            );
            next = 'not-recorded';
          } else {
            delivered += succeeded.length;
          }
        }
        if (published.isErr()) {
          const error = describeFailure(published.error);
          for (const event of events.filter((e) => failedIds.has(e.id))) {
            if (await this.#recordFailure(event, error, published.error.cause)) failed++;
            else abandoned++;
          }
          next = 'publish-failed';
        }
        return next;
      },
    });
    if (drained.isErr()) {
      const { error, report } = drained.error;
      this.#failing = true;
      this.logger.warn(
        { ...report, delivered, failed, abandoned, error: describeFailure(error), err: error.cause },
        'outbox relay run stopped: could not claim events',
      );
      return err(error);
    }
    const { claimed, batches } = drained.value;
    const stoppedBecause = drained.value.stoppedBecause === 'max-per-run' ? 'max-events-per-run' : drained.value.stoppedBecause;
    const summary: RelaySummary = { claimed, delivered, failed, abandoned, batches, stoppedBecause };
    this.#failing = stoppedBecause === 'publish-failed' || stoppedBecause === 'not-recorded';
    if (summary.claimed > 0) this.logger.info({ ...summary }, 'outbox relay run finished');
    else this.logger.debug({ ...summary }, 'outbox relay run: nothing pending');
    return ok(summary);
  }

  /** The publisher's answer, or `null` when it did not answer in time. A publisher that throws is treated as a failed publish. */
  async #publish(events: readonly OutboxEvent[]): Promise<Result<void, PublishError> | null> {
    const timed = await withTimeout(() => this.publisher.publish(events), this.#publishTimeoutMs);
    switch (timed.kind) {
      case 'answered':
        return timed.value;
      case 'timedOut':
        return null;
      case 'threw':
        return err(publishFailed('event publisher threw', timed.cause));
    }
  }

  /** Reschedules one event with backoff; `false` when the outbox could not record it (the lease brings it back). */
  async #recordFailure(event: OutboxEvent, error: string, cause: unknown): Promise<boolean> {
    const attempts = event.attempts + 1;
    const now = this.clock.now();
    const retryAt = new Date(now.getTime() + backoffDelayMs(attempts, this.options.backoff));
    const recorded = await this.outbox.markFailed(event.id, { now, error, retryAt });
    if (recorded.isErr()) {
      this.logger.warn(
        { eventId: event.id, error: describeFailure(recorded.error), err: recorded.error.cause },
        'could not record a failed event delivery; the lease will offer it again',
      );
      return false;
    }
    const facts = { eventId: event.id, imageId: event.imageId, attempts, retryAt: retryAt.toISOString(), error, err: cause };
    if (attempts >= this.#alertAfterAttempts) this.logger.error(facts, 'event delivery keeps failing; will retry');
    else this.logger.warn(facts, 'event delivery failed; will retry');
    return true;
  }
}
