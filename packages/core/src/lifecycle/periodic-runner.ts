// Runs one background task at an interval, or sooner when woken, never two runs at once; shared by the scrubber and the outbox relay.

export interface PeriodicStartOptions {
  /** Pause between the end of one run and the start of the next, in milliseconds; also the longest sleep however the loop is woken. */
  readonly intervalMs: number;
  /** Delay before the first run (default 0: pick up work left over from before a restart at once). */
  readonly initialDelayMs?: number;
  /**
   * Shortest pause between the end of one run and the start of a run that `wake` asked for
   * (default 0, at most `intervalMs`). Under a steady stream of wakes the loop then runs at most
   * once per this many milliseconds, each run taking everything that arrived meanwhile.
   */
  readonly minPauseMs?: number;
}

/**
 * Single-flight runner. `task` must not reject (callers turn failures into values); if it does,
 * the rejection is handed to `onDefect` and the loop carries on. Timers are unref'd so a running
 * loop never keeps the process alive on its own.
 *
 * Time here is `Date.now()`: only the distance between "now" and the next run matters.
 */
export class PeriodicRunner<T> {
  #inFlight: Promise<T> | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** When `#timer` fires (ms since the epoch); `Infinity` without a timer. */
  #timerDueAt = Number.POSITIVE_INFINITY;
  /** The earliest wake asked for while no timer could be moved (a run in flight): applied when it ends. */
  #wakeAt: number | null = null;
  #lastRunEndedAt = Number.NEGATIVE_INFINITY;
  /** Bumped by every start/stop, so a run finishing after a stop/start does not schedule a second loop. */
  #generation = 0;
  #started = false;
  #intervalMs = 0;
  #minPauseMs = 0;

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
      if (this.#inFlight !== run) return;
      this.#inFlight = null;
      this.#lastRunEndedAt = Date.now();
      // A run started by a caller, not by the timer: the timer still waits, so move it if a wake came meanwhile.
      if (this.#timer !== null && this.#wakeAt !== null) this.#wakeTimerAt(this.#takeWake());
    });
    this.#inFlight = run;
    return run;
  }

  /**
   * Asks for a run in `delayMs` (default now) instead of at the next interval: moves the timer
   * earlier, never later; during a run, schedules the next one for then (work committed while a
   * run was claiming may have been missed by it). Wakes coalesce: however many arrive, there is
   * one timer and at most one run after the one in flight, no sooner than `minPauseMs` after
   * the previous run. Does nothing when the loop is not started.
   */
  wake(delayMs = 0): void {
    if (!this.#started) return;
    const at = Date.now() + (Number.isFinite(delayMs) ? Math.max(0, delayMs) : 0);
    if (this.#inFlight !== null || this.#timer === null) {
      this.#wakeAt = Math.min(this.#wakeAt ?? Number.POSITIVE_INFINITY, at);
      return;
    }
    this.#wakeTimerAt(at);
  }

  /** Starts the loop; a second call while started does nothing. */
  start({ intervalMs, initialDelayMs = 0, minPauseMs = 0 }: PeriodicStartOptions): void {
    if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw new RangeError('intervalMs must be a finite number > 0');
    if (!(Number.isFinite(initialDelayMs) && initialDelayMs >= 0)) throw new RangeError('initialDelayMs must be a finite number >= 0');
    if (!(Number.isFinite(minPauseMs) && minPauseMs >= 0)) throw new RangeError('minPauseMs must be a finite number >= 0');
    if (this.#started) return;
    this.#started = true;
    this.#intervalMs = intervalMs;
    this.#minPauseMs = Math.min(minPauseMs, intervalMs);
    this.#wakeAt = null;
    this.#arm(initialDelayMs, ++this.#generation);
  }

  /** Stops the loop and waits for the run in flight, if any, to finish. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#generation++;
    this.#wakeAt = null;
    this.#clearTimer();
    const inFlight = this.#inFlight;
    if (inFlight !== null)
      await inFlight.then(
        () => undefined,
        () => undefined,
      );
  }

  #takeWake(): number {
    const at = this.#wakeAt ?? Number.POSITIVE_INFINITY;
    this.#wakeAt = null;
    return at;
  }

  /** Moves the waiting timer to `at` (not before the minimum pause) when that is earlier. */
  #wakeTimerAt(at: number): void {
    const when = Math.max(at, this.#lastRunEndedAt + this.#minPauseMs);
    if (when >= this.#timerDueAt) return;
    this.#arm(when - Date.now(), this.#generation);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerDueAt = Number.POSITIVE_INFINITY;
  }

  #arm(delayMs: number, generation: number): void {
    this.#clearTimer();
    const delay = Math.max(0, delayMs);
    this.#timerDueAt = Date.now() + delay;
    this.#timer = setTimeout(() => this.#tick(generation), delay);
    this.#timer.unref?.();
  }

  #tick(generation: number): void {
    this.#timer = null;
    this.#timerDueAt = Number.POSITIVE_INFINITY;
    this.runNow()
      .catch((cause: unknown) => {
        try {
          this.onDefect(cause);
        } catch {
          // A logger that throws must not stop the loop.
        }
      })
      .finally(() => {
        if (!this.#started || this.#generation !== generation || this.#timer !== null) return;
        // The interval, or sooner if woken meanwhile; never sooner than the minimum pause.
        const now = Date.now();
        const woken = Math.max(this.#takeWake(), this.#lastRunEndedAt + this.#minPauseMs);
        this.#arm(Math.min(this.#intervalMs, woken - now), generation);
      });
  }
}
