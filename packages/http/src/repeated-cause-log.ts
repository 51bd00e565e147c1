// Bounds the error log of an outage: a failure kind's cause is logged in full at most once per interval, with a count of the ones in between.

/** What a failure kind reports on; a later request that got an answer from it ends the outage. */
export type Dependency = 'identity' | 'limiter' | 'storage';

/** What to do with the cause of one failed request. */
export interface CauseLogDecision {
  /** Log this request's cause in full (the first of an outage, or the first after an interval). */
  readonly logCause: boolean;
  /** Failures of this kind since the last cause logged in full whose causes were not logged. */
  readonly repeated: number;
}

/** A closed outage, for one summary line. */
export interface OutageSummary {
  readonly failure: string;
  /** Failed requests of this kind, the first one included. */
  readonly failures: number;
  /** Failures whose causes were not logged since the last one that was. */
  readonly repeated: number;
  /** From the first failure to the answer that ended it. */
  readonly durationMs: number;
}

interface Streak {
  readonly dependency: Dependency | null;
  readonly startedMs: number;
  lastLoggedMs: number;
  failures: number;
  repeated: number;
}

/**
 * One per handler. Memory is bounded by the number of failure kinds. An `intervalMs` of 0 logs
 * every cause. Failures without a dependency (defects) are never "recovered", only re-logged
 * after the interval.
 */
export class RepeatedCauseLog {
  readonly #intervalMs: number;
  readonly #streaks = new Map<string, Streak>();

  constructor(intervalMs: number) {
    if (!Number.isFinite(intervalMs) || intervalMs < 0)
      throw new RangeError(`cause log interval must be a finite number >= 0, got ${intervalMs}`);
    this.#intervalMs = intervalMs;
  }

  failed(failure: string, dependency: Dependency | null, nowMs: number): CauseLogDecision {
    const streak = this.#streaks.get(failure);
    if (streak === undefined) {
      this.#streaks.set(failure, { dependency, startedMs: nowMs, lastLoggedMs: nowMs, failures: 1, repeated: 0 });
      return { logCause: true, repeated: 0 };
    }
    streak.failures += 1;
    if (nowMs - streak.lastLoggedMs >= this.#intervalMs) {
      const repeated = streak.repeated;
      streak.repeated = 0;
      streak.lastLoggedMs = nowMs;
      return { logCause: true, repeated };
    }
    streak.repeated += 1;
    return { logCause: false, repeated: streak.repeated };
  }

  /** Ends the outages of the dependencies that answered; summaries of those that saw more than one failure. */
  answered(dependencies: ReadonlySet<Dependency>, nowMs: number): OutageSummary[] {
    const summaries: OutageSummary[] = [];
    for (const [failure, streak] of this.#streaks) {
      if (streak.dependency === null || !dependencies.has(streak.dependency)) continue;
      this.#streaks.delete(failure);
      if (streak.failures > 1)
        summaries.push({ failure, failures: streak.failures, repeated: streak.repeated, durationMs: nowMs - streak.startedMs });
    }
    return summaries;
  }
}
