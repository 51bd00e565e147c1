// `pnpm bench`: runs the selected comparisons, prints library/baseline ratios, writes bench/results/latest.json.
import { runHttpCases } from './cases/http.case.js';
import { runMemoryCase, type MemoryResult } from './cases/memory.case.js';
import { runSqliteCases } from './cases/sqlite.case.js';
import { createWorkspace } from './support/database.js';
import { parseOptions } from './support/options.js';
import { currentLoad, formatComparisons, formatHeader, formatMemory, machineInfo, writeResults } from './support/report.js';
import type { ComparisonRow } from './support/stats.js';

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

const comparisons: ComparisonRow[] = [];
let memory: MemoryResult | null = null;
try {
  console.log(formatHeader(machine, options));
  if (options.sections.includes('sqlite')) {
    progress('sqlite: library vs raw transaction');
    comparisons.push(...(await runSqliteCases(options, workspace)));
  }
  if (options.sections.includes('http')) {
    progress('http: node:http and Express, library vs bare handlers');
    comparisons.push(...(await runHttpCases(options, workspace)));
  }
  if (options.sections.includes('memory')) {
    progress('memory: growth per 10k deletes');
    memory = await runMemoryCase(options, workspace);
  }
} finally {
  workspace.cleanup();
}

const seconds = Math.round((performance.now() - started) / 100) / 10;
console.log('');
if (comparisons.length > 0) console.log(formatComparisons(comparisons));
if (memory !== null) console.log(`\n${formatMemory(memory)}`);
const loadAtEnd = currentLoad();
console.log(`\ntotal ${seconds} s; load average ${loadAtEnd} at the end (${machine.cpuCount} CPUs)`);

writeResults(options.resultsFile, {
  generatedAt: new Date().toISOString(),
  machine,
  options: { ...options, resultsFile: undefined },
  durationSeconds: seconds,
  loadAverage1mAtEnd: loadAtEnd,
  comparisons,
  memory,
});
console.log(`results written to ${options.resultsFile}`);

// A wrong outcome means library and baseline did different work: say so through the exit code too.
const invalid = comparisons.some((r) => !r.valid) || (memory !== null && 'valid' in memory && !memory.valid);
if (invalid) process.exitCode = 1;
