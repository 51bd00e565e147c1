// What the scrubber and the outbox relay share: a single-flight periodic run, and draining a queue in bounded batches.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import type { Logger } from '../ports/logger.port.js';
import { storageFault, type StorageError } from '../ports/storage-error.js';
import { PeriodicRunner, type PeriodicStartOptions } from './periodic-runner.js';

/** An option that must be an integer >= 1, or a RangeError naming its owner. */
export function positiveIntegerOption(owner: string, name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${owner}: ${name} must be an integer >= 1`);
  return v;
}

/**
 * `runOnce` / `start` / `wake` / `stop` around one run function. A run that throws instead of answering
 * with an error (a port defect) is logged under `err` and answered as `StorageFault`.
 */
export class BackgroundLoop<S> {
  readonly #runner: PeriodicRunner<Result<S, StorageError>>;

  constructor(name: string, logger: Logger, run: () => Promise<Result<S, StorageError>>) {
    const defect = (cause: unknown) => logger.error({ err: cause }, `${name}: unexpected exception`);
    this.#runner = new PeriodicRunner(
      () =>
        run().catch((cause: unknown) => {
          defect(cause);
          return err(storageFault(cause));
        }),
      defect,
    );
  }

  /** True between `start` and `stop`. */
  get running(): boolean {
    return this.#runner.running;
  }

  /** Runs now, or joins the run in flight. Never rejects. */
  runOnce(): ResultAsync<S, StorageError> {
    return new ResultAsync(this.#runner.runNow());
  }

  /** Runs now, then `intervalMs` after the end of each run; no overlapping runs, timers unref'd. */
  start(options: PeriodicStartOptions): void {
    this.#runner.start(options);
  }

  /** A run in `delayMs` (default now) rather than at the next interval; see `PeriodicRunner.wake`. */
  wake(delayMs = 0): void {
    this.#runner.wake(delayMs);
  }

  /** Stops the loop and waits for the run in flight. */
  stop(): Promise<void> {
    return this.#runner.stop();
  }
}

/** Why `drainInBatches` stopped: the queue was empty, the per-run cap was hit, or `handle` said so. */
export type DrainStop<R extends string> = 'drained' | 'max-per-run' | R;

export interface DrainReport<R extends string> {
  readonly claimed: number;
  readonly batches: number;
  readonly stoppedBecause: DrainStop<R>;
}

/**
 * Claims up to `batchSize` items at a time and hands each batch to `handle`, until a claim comes
 * back empty, `maxPerRun` items were claimed, or `handle` answers a stop reason. A failed claim
 * ends the run with its error. Bounded: every batch claims at least one item.
 */
export async function drainInBatches<T, R extends string>(options: {
  readonly batchSize: number;
  readonly maxPerRun: number;
  readonly claim: (limit: number) => PromiseLike<Result<readonly T[], StorageError>>;
  readonly handle: (batch: readonly T[]) => Promise<R | 'continue'>;
}): Promise<Result<DrainReport<R>, { readonly error: StorageError; readonly report: DrainReport<R> }>> {
  let claimed = 0;
  let batches = 0;
  let stoppedBecause: DrainStop<R> = 'drained';
  while (claimed < options.maxPerRun) {
    const result = await options.claim(Math.min(options.batchSize, options.maxPerRun - claimed));
    if (result.isErr()) return err({ error: result.error, report: { claimed, batches, stoppedBecause } });
    const batch = result.value;
    if (batch.length === 0) break;
    batches++;
    claimed += batch.length;
    const next = await options.handle(batch);
    if (next !== 'continue') {
      stoppedBecause = next;
      break;
    }
    if (claimed >= options.maxPerRun) stoppedBecause = 'max-per-run';
  }
  return ok({ claimed, batches, stoppedBecause });
}
