// Runs the autocannon load child for one measurement and checks that every request deleted a distinct image.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LoadReport, LoadResult, LoadSpec } from './load-child.js';

export type { LatencyFigures, LoadResult } from './load-child.js';

const CHILD = fileURLToPath(new URL('./load-child.ts', import.meta.url));

export interface LoadRun {
  readonly urls: readonly string[];
  /** The servers' process ids, for their CPU time per request (empty: not measured). */
  readonly serverPids: readonly number[];
  /** A gauge of the servers' `/metrics` each run waits to see at 0 (see `LoadSpec.drainMetric`); absent: none. */
  readonly drainMetric?: string;
  readonly token: string;
  readonly connections: number;
  /** Image ids deleted untimed first, then the measured ones: all distinct, all live. */
  readonly warmupIds: readonly string[];
  readonly imageIds: readonly string[];
  /** Where the spec file goes (a scratch folder). */
  readonly dir: string;
}

export interface CheckedLoad {
  readonly result: LoadResult;
  /** Anything but a 204 for every request, in the warm-up or the measured run; empty when all went well. */
  readonly problems: readonly string[];
}

function problemsOf(phase: string, result: LoadResult, expected: number): string[] {
  const problems: string[] = [];
  for (const [status, n] of Object.entries(result.statuses)) if (status !== '204') problems.push(`${phase}: HTTP ${status} ×${n}`);
  if (result.errors > 0) problems.push(`${phase}: ${result.errors} connection errors`);
  if (result.timeouts > 0) problems.push(`${phase}: ${result.timeouts} timeouts`);
  if ((result.statuses['204'] ?? 0) !== expected)
    problems.push(`${phase}: ${result.statuses['204'] ?? 0} deletes answered 204, expected ${expected}`);
  return problems;
}

let specs = 0;

/** One load process: optional warm-up, then the measured deletes; never throws for a wrong status, reports it. */
export async function runLoad(run: LoadRun): Promise<CheckedLoad> {
  const spec: LoadSpec = {
    urls: run.urls,
    token: run.token,
    connections: run.connections,
    warmupPaths: run.warmupIds.map((id) => `/v2/images/${id}`),
    paths: run.imageIds.map((id) => `/v2/images/${id}`),
    timeoutSeconds: 30,
    serverPids: run.serverPids,
    drainMetric: run.drainMetric ?? null,
  };
  const file = join(run.dir, `load-spec-${process.pid}-${++specs}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD, file], { maxBuffer: 4 * 1024 * 1024 });
  const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as LoadReport;
  return {
    result: report.measured,
    problems: [
      ...(report.warmup ? problemsOf('warm-up', report.warmup, run.warmupIds.length) : []),
      ...problemsOf('measured', report.measured, run.imageIds.length),
    ],
  };
}
