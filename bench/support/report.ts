// Prints the comparison tables and writes the machine-readable results file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { MemoryResult } from '../cases/memory.case.js';
import type { BenchOptions } from './options.js';
import type { ComparisonRow } from './stats.js';

export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpuCount: number;
  readonly cpuModel: string;
  readonly totalMemoryMiB: number;
  readonly gcExposed: boolean;
  /** 1-minute load average when the run started: above the CPU count, other work competed for the cores. */
  readonly loadAverage1m: number;
}

export function currentLoad(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}

export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    cpuCount: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    totalMemoryMiB: Math.round(totalmem() / 1024 / 1024),
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
    loadAverage1m: currentLoad(),
  };
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const num = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: 1 }) : 'n/a');

export function formatHeader(machine: MachineInfo, options: BenchOptions): string {
  return [
    `image-catalog bench${options.quick ? ' (--quick)' : ''}: ${machine.node}, ${machine.platform}, ${machine.cpuCount} × ${machine.cpuModel}, ${machine.totalMemoryMiB} MiB, load average ${machine.loadAverage1m} at start`,
    `N = ${options.images} images per round (each with 3 properties, 3 tags, 1 member, 1 location); ` +
      `sqlite: 1 warm-up + ${options.sqliteRounds} rounds; http: 1 warm-up + ${options.httpRounds} rounds at concurrency ${options.concurrency}; ` +
      `memory: ${options.memoryDeletes} deletes per measurement`,
    'each round on a fresh SQLite file (WAL, synchronous=NORMAL; the durable row: synchronous=FULL); ratio = library median / baseline median, ops ratio = baseline ops/s / library ops/s (1.00 = parity, higher = library slower)',
  ].join('\n');
}

export function formatComparisons(rows: readonly ComparisonRow[]): string {
  const body = rows.map((r) => [
    `${r.section}: ${r.case}${r.note !== undefined ? ' *' : ''}`,
    num(r.library.medianUs),
    num(r.library.p95Us),
    num(r.library.p99Us),
    num(r.baseline.medianUs),
    num(r.baseline.p95Us),
    num(r.baseline.p99Us),
    r.valid ? r.ratio.toFixed(2) : 'INVALID',
    r.roundRatios.length > 0 ? `${Math.min(...r.roundRatios).toFixed(2)}–${Math.max(...r.roundRatios).toFixed(2)}` : 'n/a',
    num(r.library.opsPerSec),
    num(r.baseline.opsPerSec),
    r.valid ? r.throughputRatio.toFixed(2) : 'INVALID',
  ]);
  const out = [
    table(
      [
        'case',
        'lib median µs',
        'lib p95',
        'lib p99',
        'base median µs',
        'base p95',
        'base p99',
        'ratio',
        'per round',
        'lib ops/s',
        'base ops/s',
        'ops ratio',
      ],
      body,
    ),
  ];
  for (const r of rows) {
    if (r.note !== undefined) out.push(`  * ${r.case}: ${r.note}`);
    if (!r.valid) out.push(`  ! ${r.case}: comparison INVALID, not every operation succeeded: ${r.problems.join('; ')}`);
  }
  return out.join('\n');
}

export function formatMemory(result: MemoryResult): string {
  if ('skipped' in result) return `memory: skipped (${result.skipped})`;
  const out = [
    table(
      ['memory (KiB per 10k deletes, after full GC)', 'lib RSS', 'lib heap', 'base RSS', 'base heap'],
      [
        [
          result.case,
          num(result.library.rssKiBPer10k),
          num(result.library.heapUsedKiBPer10k),
          num(result.baseline.rssKiBPer10k),
          num(result.baseline.heapUsedKiBPer10k),
        ],
      ],
    ),
  ];
  if (!result.valid) out.push(`  ! memory: comparison INVALID: ${result.problems.join('; ')}`);
  return out.join('\n');
}

export function writeResults(file: string, results: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
