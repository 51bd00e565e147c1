// Latency summaries (median, p95, p99) and the library/baseline comparison row built from them.

export interface LatencySummary {
  readonly samples: number;
  readonly medianUs: number;
  readonly p95Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
  /** Median over rounds of operations per second (time spent in this side's batches of the round). */
  readonly opsPerSec: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** `latenciesMs` are per-operation times pooled over all timed rounds; `roundOpsPerSec` one value per round. */
export function summarise(latenciesMs: readonly number[], roundOpsPerSec: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;
  const mean = sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length);
  return {
    samples: sorted.length,
    medianUs: us(percentile(sorted, 50)),
    p95Us: us(percentile(sorted, 95)),
    p99Us: us(percentile(sorted, 99)),
    p999Us: us(percentile(sorted, 99.9)),
    maxUs: us(percentile(sorted, 100)),
    meanUs: us(mean),
    opsPerSec: Math.round(median(roundOpsPerSec)),
  };
}

/** One side's timed rounds: pooled latencies, per-round throughput, and anything that went wrong. */
export interface SideRuns {
  readonly latenciesMs: number[];
  readonly roundOpsPerSec: number[];
  /** Median latency of each timed round, to pair with the other side's round run next to it. */
  readonly roundMediansMs: number[];
  /** Each wrong outcome, e.g. `HTTP 500` or `ImageNotFound`, with how often it happened. */
  readonly problems: Map<string, number>;
  ok: number;
}

export function emptyRuns(): SideRuns {
  return { latenciesMs: [], roundOpsPerSec: [], roundMediansMs: [], problems: new Map(), ok: 0 };
}

/** Closes a timed round that started when `runs.latenciesMs` had `from` entries. */
export function endRound(runs: SideRuns, from: number, operations: number, elapsedMs: number): void {
  runs.roundOpsPerSec.push(operations / (elapsedMs / 1000));
  runs.roundMediansMs.push(median(runs.latenciesMs.slice(from)));
}

export function recordProblem(runs: SideRuns, problem: string): void {
  runs.problems.set(problem, (runs.problems.get(problem) ?? 0) + 1);
}

export interface ComparisonRow {
  readonly section: 'sqlite' | 'http' | 'delete';
  readonly case: string;
  readonly library: LatencySummary;
  readonly baseline: LatencySummary;
  /** Library median / baseline median: 1.00 is parity, 2.00 means the library takes twice as long. */
  readonly ratio: number;
  /** Baseline ops/s / library ops/s, the same reading for throughput. */
  readonly throughputRatio: number;
  /**
   * The ratio of each round's medians, library round against the baseline round run next to it:
   * its spread shows how much of the ratio is noise (a busy machine moves both sides of a pair alike).
   */
  readonly roundRatios: readonly number[];
  /** Every operation on both sides had the expected outcome; otherwise the ratio means nothing. */
  readonly valid: boolean;
  readonly problems: readonly string[];
  readonly okCounts: { readonly library: number; readonly baseline: number };
  readonly note?: string;
}

export function compare(
  section: ComparisonRow['section'],
  name: string,
  library: SideRuns,
  baseline: SideRuns,
  note?: string,
): ComparisonRow {
  const lib = summarise(library.latenciesMs, library.roundOpsPerSec);
  const base = summarise(baseline.latenciesMs, baseline.roundOpsPerSec);
  const problems = [
    ...[...library.problems].map(([p, n]) => `library: ${p} ×${n}`),
    ...[...baseline.problems].map(([p, n]) => `baseline: ${p} ×${n}`),
  ];
  return {
    section,
    case: name,
    library: lib,
    baseline: base,
    ratio: Math.round((lib.medianUs / base.medianUs) * 100) / 100,
    throughputRatio: Math.round((base.opsPerSec / lib.opsPerSec) * 100) / 100,
    roundRatios: library.roundMediansMs.map((m, i) => Math.round((m / (baseline.roundMediansMs[i] ?? Number.NaN)) * 100) / 100),
    valid: problems.length === 0,
    problems,
    okCounts: { library: library.ok, baseline: baseline.ok },
    ...(note !== undefined ? { note } : {}),
  };
}
