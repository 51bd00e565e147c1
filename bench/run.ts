// `pnpm bench`: runs the selected comparisons, prints library/baseline ratios and the issue-9 targets, writes bench/results/latest.json.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCheckpointCase, type CheckpointResult } from './cases/checkpoint.case.js';
import { runWideDeleteCase } from './cases/delete.case.js';
import { runHttpCases } from './cases/http.case.js';
import { runMemoryCase, type MemoryResult } from './cases/memory.case.js';
import { runPostgresCase, type PostgresResult } from './cases/postgres.case.js';
import { runServiceMemoryCase, type ServiceMemoryRow } from './cases/service-memory.case.js';
import { runSqliteServiceCase, type ServiceComparison } from './cases/service.case.js';
import { runSqliteCases } from './cases/sqlite.case.js';
import { createWorkspace } from './support/database.js';
import { buildExample } from './support/example-service.js';
import { parseOptions, USAGE } from './support/options.js';
import {
  currentLoad,
  formatCheckpoint,
  formatComparisons,
  formatHeader,
  formatMemory,
  formatScaling,
  formatService,
  formatServiceMemory,
  formatTargets,
  machineInfo,
  writeResults,
} from './support/report.js';
import { sqliteServiceBackend } from './support/service-backends.js';
import type { ComparisonRow } from './support/stats.js';
import { buildTargets } from './support/targets.js';

if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const options = (() => {
  try {
    return parseOptions(process.argv.slice(2), process.env);
  } catch (cause) {
    console.error(`bench: ${cause instanceof Error ? cause.message : String(cause)}`);
    process.exit(2);
  }
})();
const machine = machineInfo();
const workspace = createWorkspace();
const started = performance.now();
const progress = (message: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)} s] ${message}\n`);
const selected = (section: (typeof options.sections)[number]) => options.sections.includes(section);
/** A scratch folder of the workspace for one case's processes and databases. */
const scratch = (name: string) => {
  const dir = join(workspace.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
};

const comparisons: ComparisonRow[] = [];
let memory: MemoryResult | null = null;
let wideDelete: ComparisonRow | null = null;
let checkpoint: CheckpointResult | null = null;
let service: ServiceComparison[] | null = null;
let postgres: PostgresResult | null = null;
let serviceMemory: ServiceMemoryRow | null = null;
/** Cases that could not run at all (the example did not build, a server did not start): said at the end, and exit code 1. */
const failures: string[] = [];

async function attempt(name: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    failures.push(`${name}: ${message}`);
    progress(`${name} failed: ${message.split('\n')[0]}`);
  }
}

try {
  console.log(formatHeader(machine, options));
  if (selected('sqlite')) {
    progress('sqlite: library vs raw transaction');
    comparisons.push(...(await runSqliteCases(options, workspace)));
  }
  if (selected('http')) {
    progress('http: node:http and Express, library vs bare handlers');
    comparisons.push(...(await runHttpCases(options, workspace)));
  }
  if (selected('memory')) {
    progress('memory: growth per 10k deletes');
    memory = await runMemoryCase(options, workspace);
  }
  if (selected('delete')) {
    progress('delete: 20 properties, 20 tags, 10 members, library vs minimal transaction');
    wideDelete = await runWideDeleteCase(options, workspace);
  }
  if (selected('checkpoint')) {
    progress('checkpoint: the same deletes with automatic checkpoints, the checkpointer, a main-thread timer');
    checkpoint = await runCheckpointCase(options, workspace);
  }
  const servicesWanted = selected('service') || selected('postgres') || selected('service-memory');
  let built = false;
  if (servicesWanted) {
    progress('building the example service: tsc -b');
    await attempt('build', async () => {
      await buildExample();
      built = true;
    });
  }
  if (built && selected('service')) {
    await attempt('service', async () => {
      const backend = sqliteServiceBackend(scratch('service'));
      try {
        service = await runSqliteServiceCase(options, backend, progress);
      } finally {
        await backend.close();
      }
    });
  }
  if (built && selected('postgres')) {
    await attempt('postgres', async () => {
      postgres = await runPostgresCase(options, scratch('postgres'), progress);
      if ('skipped' in postgres) progress(`postgres: skipped: ${postgres.skipped}`);
    });
  }
  if (built && selected('service-memory')) {
    await attempt('service-memory', async () => {
      const backend = sqliteServiceBackend(scratch('service-memory'));
      try {
        serviceMemory = await runServiceMemoryCase(options, backend, progress);
      } finally {
        await backend.close();
      }
    });
  }
} finally {
  workspace.cleanup();
}

const seconds = Math.round((performance.now() - started) / 100) / 10;
const durable = comparisons.find((r) => r.case.startsWith('durable')) ?? null;
const targets = buildTargets({
  ...(service ? { service } : {}),
  ...(postgres ? { postgres } : {}),
  ...(serviceMemory ? { serviceMemory } : {}),
  ...(wideDelete ? { wideDelete } : {}),
  ...(checkpoint ? { checkpoint } : {}),
  ...(durable ? { durable } : {}),
});
const detail = [...comparisons, ...(wideDelete ? [wideDelete] : [])];

console.log('');
if (detail.length > 0) console.log(formatComparisons(detail));
if (checkpoint !== null) console.log(`\n${formatCheckpoint(checkpoint)}`);
if (memory !== null) console.log(`\n${formatMemory(memory)}`);
if (service !== null) console.log(`\n${formatService(service)}`);
const pg = postgres as PostgresResult | null;
if (pg !== null)
  console.log(
    `\n${'skipped' in pg ? `postgres: skipped (${pg.skipped})` : `${formatService(pg.comparisons)}\n\n${formatScaling(pg.scaling)}`}`,
  );
if (serviceMemory !== null) console.log(`\n${formatServiceMemory(serviceMemory)}`);
if (targets.length > 0) console.log(`\n${formatTargets(targets)}`);
for (const failure of failures) console.log(`\n! ${failure}`);
const loadAtEnd = currentLoad();
console.log(`\ntotal ${seconds} s; load average ${loadAtEnd} at the end (${machine.cpuCount} CPUs)`);

writeResults(options.resultsFile, {
  generatedAt: new Date().toISOString(),
  machine,
  options: { ...options, resultsFile: undefined },
  durationSeconds: seconds,
  loadAverage1mAtEnd: loadAtEnd,
  targets,
  comparisons: detail,
  checkpoint,
  memory,
  service,
  postgres,
  serviceMemory,
  failures,
});
console.log(`results written to ${options.resultsFile}`);

// A wrong outcome means library and baseline did different work: say so through the exit code too.
const invalid =
  detail.some((r) => !r.valid) ||
  (memory !== null && 'valid' in memory && !memory.valid) ||
  (checkpoint !== null && !checkpoint.valid) ||
  targets.some((t) => !t.valid) ||
  failures.length > 0;
if (invalid) process.exitCode = 1;
