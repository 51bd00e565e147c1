// Prints the comparison tables and writes the machine-readable results file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { CHECKPOINTER_SETTINGS, type CheckpointResult } from '../cases/checkpoint.case.js';
import type { MemoryResult } from '../cases/memory.case.js';
import type { PostgresScaling } from '../cases/postgres.case.js';
import type { ServiceMemoryRow } from '../cases/service-memory.case.js';
import type { ServiceComparison } from '../cases/service.case.js';
import type { BenchOptions } from './options.js';
import type { ComparisonRow } from './stats.js';
import { targetCells, type TargetRow } from './targets.js';

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
    `service/postgres: example service (node examples/express-app/dist/main.js, default settings) vs bare Express 5, each its own process, autocannon in a third; ` +
      `${options.serviceConnections.join(' and ')} keep-alive connections, ${options.serviceRounds} round(s) per side, ${options.serviceWarmup} warm-up + ${options.serviceDeletes} (postgres: ${options.postgresDeletes}) measured distinct deletes per run; ` +
      `service-memory: ${options.serviceMemoryBudgetSeconds === null ? '' : `up to `}${options.serviceMemoryDeletes} deletes${options.serviceMemoryBudgetSeconds === null ? '' : ` (as many as the warm-up's rate allows in ${options.serviceMemoryBudgetSeconds} s)`}; delete: ${options.wideImages} images (20 properties, 20 tags, 10 members) per round`,
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

/** The commit tail with each way of checkpointing: the before/after figures of checkpoints off the request path. */
export function formatCheckpoint(result: CheckpointResult): string {
  const out = [
    table(
      ['checkpoint: the same deletes, checkpointing', 'median µs', 'p99', 'p99.9', 'max', 'ops/s', 'WAL MiB at end of rounds'],
      result.variants.map((v) => [
        v.name,
        num(v.summary.medianUs),
        num(v.summary.p99Us),
        num(v.summary.p999Us),
        num(v.summary.maxUs),
        num(v.summary.opsPerSec),
        v.walMiBAtEnd.map((m) => num(m)).join(' / '),
      ]),
    ),
    `  DeleteImage.execute (worker null), images with 20 properties, 20 tags, 10 members, N = ${result.deletesPerRound} timed per round and variant after as many untimed on the same database, one after another; ` +
      'each delete issued from a new event-loop turn and timed from before it, so a checkpoint holding the event loop counts against the delete that waited',
    `  checkpointer: the defaults of createSqliteStorage (${CHECKPOINTER_SETTINGS}); main-thread timer: wal_autocheckpoint=0 and PRAGMA wal_checkpoint(PASSIVE) on the connection every interval`,
  ];
  if (!result.valid) out.push(`  ! checkpoint: INVALID: ${result.problems.slice(0, 8).join('; ')}`);
  return out.join('\n');
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

/** Detail of the service rows: each side's median req/s (and every run's), p50, p99, p99.9. */
export function formatService(rows: readonly ServiceComparison[]): string {
  const body = rows.map((r) => [
    `${r.storage}, ${r.connections} connections`,
    num(r.library.reqPerSec),
    r.library.runs.map((v) => num(v)).join(' / '),
    ms(r.library.p50Ms),
    ms(r.library.p99Ms),
    ms(r.library.p999Ms),
    num(r.baseline.reqPerSec),
    r.baseline.runs.map((v) => num(v)).join(' / '),
    ms(r.baseline.p50Ms),
    ms(r.baseline.p99Ms),
    ms(r.baseline.p999Ms),
    num(r.library.sustainedPerSec),
    r.library.cpuUsPerRequest === null ? 'n/a' : num(r.library.cpuUsPerRequest),
    r.baseline.cpuUsPerRequest === null ? 'n/a' : num(r.baseline.cpuUsPerRequest),
    r.valid ? r.reqPerSecRatio.toFixed(2) : 'INVALID',
    r.valid ? r.p99Ratio.toFixed(2) : 'INVALID',
    r.valid ? r.sustainedRatio.toFixed(2) : 'INVALID',
    r.valid && r.cpuRatio !== null ? r.cpuRatio.toFixed(2) : 'n/a',
  ]);
  const out = [
    table(
      [
        'service vs bare Express',
        'lib req/s',
        'lib runs',
        'lib p50 ms',
        'lib p99',
        'lib p99.9',
        'base req/s',
        'base runs',
        'base p50 ms',
        'base p99',
        'base p99.9',
        'lib incl. relay/s',
        'lib CPU µs/req',
        'base CPU µs/req',
        'req/s ratio',
        'p99 ratio',
        'incl. relay ratio',
        'CPU ratio',
      ],
      body,
    ),
    `  req/s ratio = library / baseline (higher is better); p99 and CPU ratio = library / baseline (lower is better); ${rows[0]?.deletesPerRun ?? 0} distinct deletes per run after ${rows[0]?.warmup ?? 0} warm-up ones`,
    "  lib incl. relay/s = deletes / (load time + the time the relay then took to deliver the backlog of events: until the service's /metrics shows none pending); the baseline has no relay",
    "  CPU µs/req = the server process's user + system time from the first measured request until the relay caught up, / deletes (PostgreSQL's own CPU not included): the figure least moved by other load on the machine",
  ];
  for (const r of rows) {
    if (r.maxPendingEventsAtEnd !== null && r.maxPendingEventsAtEnd > 0) {
      out.push(
        `  ${r.storage}, ${r.connections} connections: the relay was up to ${r.maxPendingEventsAtEnd >= 1000 ? 'at least 1000' : r.maxPendingEventsAtEnd} event(s) behind when the load ended`,
      );
    }
  }
  for (const r of rows)
    if (!r.valid) out.push(`  ! ${r.storage}, ${r.connections} connections: INVALID: ${r.problems.slice(0, 8).join('; ')}`);
  return out.join('\n');
}

export function formatScaling(scaling: PostgresScaling): string {
  const out = [
    table(
      ['postgres: example-service processes on one database', 'req/s', 'p99 ms'],
      scaling.points.map((p) => [
        `${p.processes} process${p.processes > 1 ? 'es' : ''}, ${scaling.connections} connections in all`,
        p.reqPerSec === null ? 'failed' : num(p.reqPerSec),
        p.p99Ms === null ? 'n/a' : ms(p.p99Ms),
      ]),
    ),
  ];
  if (!scaling.valid) out.push(`  ! scaling: INVALID: ${scaling.problems.slice(0, 8).join('; ')}`);
  return out.join('\n');
}

export function formatServiceMemory(row: ServiceMemoryRow): string {
  const mib = (n: number | null) => (n === null ? 'n/a' : n.toFixed(1));
  const side = (name: string, s: ServiceMemoryRow['library']) =>
    s === null
      ? [name, 'failed', '', '', '', '', '']
      : [
          name,
          mib(s.samples[0] ? s.samples[0].rssBytes / 1024 / 1024 : null),
          mib(s.rssGrowthMiB),
          mib(s.rssMiBPerMillion),
          mib(s.heapGrowthMiB),
          mib(s.heapMiBPerMillion),
          s.seconds.toFixed(1),
        ];
  const out = [
    table(
      [
        `memory over ${row.deletes.toLocaleString('en-US')} deletes (${row.connections} connections)`,
        'RSS after warm-up MiB',
        'RSS growth MiB',
        'MiB per 1M',
        'heap growth MiB',
        'heap per 1M',
        'seconds',
      ],
      [side('example service', row.library), side('bare Express (RSS only)', row.baseline)],
    ),
    `  N = ${row.deletes.toLocaleString('en-US')} measured deletes per side after ${row.warmup.toLocaleString('en-US')} warm-up ones (${row.deletesChosen})`,
    `  RSS: /proc/<pid>/status VmRSS after the last chunk − after the warm-up; heap: lowest nodejs_heap_size_used_bytes of the service's GET /metrics ` +
      `(read every 250 ms, no forced GC) during the last chunk − during the first; ` +
      `per 1M = growth × 1,000,000 / the deletes between, a linear extrapolation: one-off growth (caches, heap reaching its working size) is multiplied with it`,
  ];
  if (!row.valid) out.push(`  ! service memory: INVALID: ${row.problems.slice(0, 8).join('; ')}`);
  return out.join('\n');
}

/** The issue-9 summary table. */
export function formatTargets(rows: readonly TargetRow[]): string {
  return [
    'issue 9: each figure with its ratio and target (a benchmark report: nothing fails on a missed target)',
    table(['case', 'library', 'baseline', 'ratio', 'target', 'meets'], targetCells(rows)),
  ].join('\n');
}

export function writeResults(file: string, results: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
