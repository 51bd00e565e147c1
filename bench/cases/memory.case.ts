// Case 3: RSS and heap growth per 10 000 deletes, library against the raw baseline, each in its own process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Workspace } from '../support/database.js';
import type { BenchOptions } from '../support/options.js';
import type { MemoryChildReport } from './memory-child.js';

export interface MemoryGrowth {
  /** Growth over the measured deletes after a full GC, scaled to 10 000 deletes, in KiB (mean of two processes; one with --quick). */
  readonly rssKiBPer10k: number;
  readonly heapUsedKiBPer10k: number;
}

export interface MemoryRow {
  readonly section: 'memory';
  readonly case: string;
  readonly deletes: number;
  readonly library: MemoryGrowth;
  readonly baseline: MemoryGrowth;
  readonly valid: boolean;
  readonly problems: readonly string[];
}

export type MemoryResult = { readonly skipped: string } | MemoryRow;

type Side = 'library' | 'baseline';

const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url));

/**
 * A fresh process per measurement, so neither side inherits the other's (or the other cases')
 * heap and allocator state. The child runs with this process's flags (source conditions, tsx, --expose-gc).
 */
async function measure(options: BenchOptions, workspace: Workspace, side: Side): Promise<MemoryChildReport> {
  const warm = Math.min(options.images, 1000);
  const template = await workspace.template(warm + options.memoryDeletes);
  const file = workspace.copy(template, `memory-${side}`);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, CHILD, file.path, side, String(warm)], {
      maxBuffer: 1024 * 1024,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as MemoryChildReport;
  } finally {
    file.dispose();
  }
}

export async function runMemoryCase(options: BenchOptions, workspace: Workspace): Promise<MemoryResult> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    return { skipped: 'run node with --expose-gc (the pnpm bench script does) to measure memory' };
  }
  const reports: Record<Side, MemoryChildReport[]> = { library: [], baseline: [] };
  const problems: string[] = [];
  // ABBA, so a drift of the machine during the case does not all land on one side (--quick: AB).
  const order: readonly Side[] = options.quick ? ['library', 'baseline'] : ['library', 'baseline', 'baseline', 'library'];
  for (const side of order) {
    try {
      const report = await measure(options, workspace, side);
      reports[side].push(report);
      problems.push(...report.problems.map((p) => `${side}: ${p}`));
    } catch (cause) {
      problems.push(`${side}: measuring process failed: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`);
    }
  }
  const per10k = (side: Side, key: 'rssBytes' | 'heapUsedBytes') => {
    const values = reports[side].map((r) => (r[key] * 10_000) / r.measuredDeletes);
    return values.length === 0 ? Number.NaN : Math.round(values.reduce((a, b) => a + b, 0) / values.length / 1024);
  };
  const growth = (side: Side): MemoryGrowth => ({
    rssKiBPer10k: per10k(side, 'rssBytes'),
    heapUsedKiBPer10k: per10k(side, 'heapUsedBytes'),
  });
  return {
    section: 'memory',
    case: 'growth per 10k deletes (after full GC)',
    deletes: options.memoryDeletes,
    library: growth('library'),
    baseline: growth('baseline'),
    valid: problems.length === 0,
    problems,
  };
}
