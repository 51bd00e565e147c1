// The issue-9 table judges each figure against its own target, in the right direction, and never judges invalid work.
import { describe, expect, it } from 'vitest';
import type { CheckpointResult } from '../cases/checkpoint.case.js';
import type { ServiceComparison, ServiceSideSummary } from '../cases/service.case.js';
import type { ServiceMemoryRow } from '../cases/service-memory.case.js';
import type { LatencySummary } from './stats.js';
import { buildTargets, targetCells } from './targets.js';

function side(reqPerSec: number, p99Ms: number): ServiceSideSummary {
  return { reqPerSec, sustainedPerSec: reqPerSec, p50Ms: 1, p99Ms, p999Ms: p99Ms * 2, cpuUsPerRequest: 500, runs: [reqPerSec] };
}

function comparison(library: ServiceSideSummary, baseline: ServiceSideSummary, valid = true): ServiceComparison {
  return {
    section: 'service',
    storage: 'sqlite',
    connections: 10,
    deletesPerRun: 100,
    warmup: 10,
    library,
    baseline,
    reqPerSecRatio: library.reqPerSec / baseline.reqPerSec,
    p99Ratio: library.p99Ms / baseline.p99Ms,
    sustainedRatio: library.reqPerSec / baseline.reqPerSec,
    cpuRatio: 1,
    maxPendingEventsAtEnd: 0,
    valid,
    problems: valid ? [] : ['library: HTTP 500 ×1'],
    runs: [],
  };
}

const cells = (rows: ReturnType<typeof buildTargets>) =>
  targetCells(rows).map(([name, , , ratio, target, meets]) => [name, ratio, target, meets]);

describe('the issue-9 targets', () => {
  it('wants req/s at least 0.8× the baseline and p99 at most 1.5×', () => {
    const rows = buildTargets({ service: [comparison(side(800, 15), side(1000, 10)), comparison(side(790, 15.1), side(1000, 10))] });
    expect(cells(rows).filter(([name]) => !name!.includes('catch-up'))).toEqual([
      ['service sqlite vs bare Express, 10 conns: req/s (median of 1)', '0.80×', '≥ 0.80×', 'yes'],
      ['service sqlite vs bare Express, 10 conns: p99 ms', '1.50×', '≤ 1.50×', 'yes'],
      ['service sqlite vs bare Express, 10 conns: req/s (median of 1)', '0.79×', '≥ 0.80×', 'no'],
      ['service sqlite vs bare Express, 10 conns: p99 ms', '1.51×', '≤ 1.50×', 'no'],
    ]);
  });

  it('says INVALID instead of judging a comparison whose work went wrong', () => {
    const rows = buildTargets({ service: [comparison(side(2000, 1), side(1000, 10), false)] });
    expect(rows.map((r) => r.meets)).toEqual([null, null, null]);
    expect(targetCells(rows).map((c) => c[5])).toEqual(['INVALID', 'INVALID', 'INVALID']);
  });

  it('judges memory on the library figure itself (< 30 MiB per 1M) and reports heap without a target', () => {
    const memory = (rss: number): ServiceMemoryRow => ({
      section: 'service-memory',
      warmup: 10,
      deletes: 1000,
      deletesChosen: 'as set',
      connections: 10,
      library: { samples: [], rssGrowthMiB: 1, rssMiBPerMillion: rss, heapGrowthMiB: 0, heapMiBPerMillion: 2, seconds: 1 },
      baseline: { samples: [], rssGrowthMiB: 1, rssMiBPerMillion: 50, heapGrowthMiB: null, heapMiBPerMillion: null, seconds: 1 },
      valid: true,
      problems: [],
    });
    expect(buildTargets({ serviceMemory: memory(29.9) }).map((r) => r.meets)).toEqual([true, null]);
    expect(buildTargets({ serviceMemory: memory(30) }).map((r) => r.meets)).toEqual([false, null]);
  });
});

describe('the commit tail rows', () => {
  const summary = (p99Us: number, p999Us: number): LatencySummary => ({
    samples: 1000,
    medianUs: 200,
    p95Us: 300,
    p99Us,
    p999Us,
    maxUs: p999Us * 2,
    meanUs: 250,
    opsPerSec: 3000,
  });
  const checkpoint = (valid: boolean): CheckpointResult => ({
    section: 'checkpoint',
    deletesPerRound: 1000,
    variants: [
      { name: 'automatic', summary: summary(10_000, 30_000), walMiBAtEnd: [4] },
      { name: 'checkpointer', summary: summary(1_000, 15_000), walMiBAtEnd: [80] },
      { name: 'main-thread timer', summary: summary(3_000, 50_000), walMiBAtEnd: [40] },
    ],
    valid,
    problems: valid ? [] : ['checkpointer: ImageNotFound ×1'],
  });

  it('put the checkpointer (after) against automatic checkpoints (before), p99 and p99.9, report only', () => {
    expect(targetCells(buildTargets({ checkpoint: checkpoint(true) }))).toEqual([
      ['sqlite commit (one delete), checkpointer vs automatic checkpoints: p99 µs', '1,000', '10,000', '0.10×', 'report', '—'],
      ['sqlite commit (one delete), checkpointer vs automatic checkpoints: p99.9 µs', '15,000', '30,000', '0.50×', 'report', '—'],
    ]);
    expect(targetCells(buildTargets({ checkpoint: checkpoint(false) })).map((c) => c[5])).toEqual(['INVALID', 'INVALID']);
  });
});
