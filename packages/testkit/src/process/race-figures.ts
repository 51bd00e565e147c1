// Adds up what the race workers reported: outcomes per kind, winners per image, overlap, and the adapters' counters.
import type { RaceWorkerResult } from './race-protocol.js';

/** The race as a whole, from every worker's report. */
export interface RaceFigures {
  readonly processes: number;
  /** Attempts reported, over all workers and images. */
  readonly attempts: number;
  /** How many attempts ended in each outcome (`ok`, `ImageNotFound`, …). */
  readonly tally: Readonly<Record<string, number>>;
  /** Per image id, how many workers answered `ok` for it. */
  readonly winners: ReadonlyMap<string, number>;
  /** How long every worker was racing at once (negative: they never all overlapped). */
  readonly overlapMs: number;
  /** Each worker's time in its racing loop, rounded, in config order. */
  readonly workerLoopMs: readonly number[];
  readonly decidedInStore: number;
  /** The adapters' own counters, summed over workers. */
  readonly counters: Readonly<Record<string, number>>;
  /** Attempts that ended in `outcome` (0 when none did). */
  count(outcome: string): number;
}

export function raceFigures(results: readonly RaceWorkerResult[]): RaceFigures {
  const tally: Record<string, number> = {};
  const winners = new Map<string, number>();
  const counters: Record<string, number> = {};
  let attempts = 0;
  for (const result of results) {
    for (const [imageId, outcome] of Object.entries(result.outcomes)) {
      attempts += 1;
      tally[outcome] = (tally[outcome] ?? 0) + 1;
      if (outcome === 'ok') winners.set(imageId, (winners.get(imageId) ?? 0) + 1);
    }
    for (const [name, n] of Object.entries(result.counters)) counters[name] = (counters[name] ?? 0) + n;
  }
  return {
    processes: results.length,
    attempts,
    tally,
    winners,
    overlapMs: Math.min(...results.map((r) => r.span[1])) - Math.max(...results.map((r) => r.span[0])),
    workerLoopMs: results.map((r) => Math.round(r.elapsedMs)),
    decidedInStore: results.reduce((n, r) => n + r.decidedInStore, 0),
    counters,
    count: (outcome) => tally[outcome] ?? 0,
  };
}
