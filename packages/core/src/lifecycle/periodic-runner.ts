// Runs one background task at an interval, never two runs at once; shared by the scrubber and the outbox relay.

export interface PeriodicStartOptions {
  /** Pause between the end of one run and the start of the next, in milliseconds. */
  readonly intervalMs: number;
  /** Delay before the first run (default 0: pick up work left over from before a restart at once). */
  readonly initialDelayMs?: number;
}

/**
 * Single-flight runner. `task` must not reject (callers turn failures into values); if it does,
 * the rejection is handed to `onDefect` and the loop carries on. Timers are unref'd so a running
 * loop never keeps the process alive on its own.
 */
export class PeriodicRunner<T> {
  #inFlight: Promise<T> | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Bumped by every start/stop, so a run finishing after a stop/start does not schedule a second loop. */
  #generation = 0;
  #started = false;

  constructor(
    private readonly task: () => Promise<T>,
    private readonly onDefect: (cause: unknown) => void,
  ) {}

  get running(): boolean {
    return this.#started;
  }

  /** Runs the task now, or joins the run already in flight (runs never overlap). */
  runNow(): Promise<T> {
    if (this.#inFlight !== null) return this.#inFlight;
    const run = this.task().finally(() => {
      if (this.#inFlight === run) this.#inFlight = null;
    });
    this.#inFlight = run;
    return run;
  }

  /** Starts the loop; a second call while started does nothing. */
  start({ intervalMs, initialDelayMs = 0 }: PeriodicStartOptions): void {
    if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw new RangeError('intervalMs must be a finite number > 0');
    if (!(Number.isFinite(initialDelayMs) && initialDelayMs >= 0)) throw new RangeError('initialDelayMs must be a finite number >= 0');
    if (this.#started) return;
    this.#started = true;
    const generation = ++this.#generation;
    const schedule = (delayMs: number) => {
      this.#timer = setTimeout(tick, delayMs);
      this.#timer.unref?.();
    };
    const tick = () => {
      this.#timer = null;
      this.runNow()
        .catch((cause: unknown) => {
          try {
            this.onDefect(cause);
          } catch {
            // A logger that throws must not stop the loop.
          }
        })
        .finally(() => {
          if (this.#started && this.#generation === generation) schedule(intervalMs);
        });
    };
    schedule(initialDelayMs);
  }

  /** Stops the loop and waits for the run in flight, if any, to finish. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#generation++;
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const inFlight = this.#inFlight;
    if (inFlight !== null) await inFlight.then(
      () => undefined,
      () => undefined,
    );
  }
}
