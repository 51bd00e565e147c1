// Case 5: the example service on PostgreSQL against a bare Express + pg handler, and 1, 2, 4 service processes sharing one database.
import type { BenchOptions } from '../support/options.js';
import { connectPostgresAdmin } from '../support/postgres-admin.js';
import { postgresServiceBackend } from '../support/service-backends.js';
import { runServiceComparisons, runServiceTrial, servicePlan, type ServiceComparison } from './service.case.js';

/** Connections the scaling runs spread over the processes, the same total for every process count. */
export const SCALING_CONNECTIONS = 48;
export const SCALING_PROCESSES = [1, 2, 4] as const;

export interface ScalingPoint {
  readonly processes: number;
  /** Deletes per second over all processes (null when the run failed). */
  readonly reqPerSec: number | null;
  readonly p99Ms: number | null;
}

export interface PostgresScaling {
  readonly section: 'postgres-scaling';
  readonly connections: number;
  readonly deletesPerRun: number;
  readonly points: readonly ScalingPoint[];
  readonly valid: boolean;
  readonly problems: readonly string[];
}

export type PostgresResult =
  { readonly skipped: string } | { readonly comparisons: readonly ServiceComparison[]; readonly scaling: PostgresScaling };

export async function runPostgresCase(options: BenchOptions, dir: string, progress: (message: string) => void): Promise<PostgresResult> {
  const admin = await connectPostgresAdmin();
  if ('unreachable' in admin)
    return { skipped: `${admin.unreachable}; set BENCH_POSTGRES_URL to a maintenance URL (user allowed to CREATE DATABASE)` };
  const backend = postgresServiceBackend(dir, admin);
  try {
    const plan = servicePlan(options, 'postgres');
    progress(`postgres service: seeding ${plan.warmup + plan.deletes} images`);
    const imageIds = await backend.seed(plan.warmup + plan.deletes);
    const comparisons = await runServiceComparisons(options, backend, imageIds, progress);

    const points: ScalingPoint[] = [];
    const problems: string[] = [];
    for (const processes of SCALING_PROCESSES) {
      progress(`postgres scaling: ${processes} example-service process(es), ${SCALING_CONNECTIONS} connections in all`);
      const { run, problems: found } = await runServiceTrial(backend, imageIds, 'library', SCALING_CONNECTIONS, plan, processes);
      problems.push(...found.map((p) => `${processes} processes: ${p}`));
      points.push({ processes, reqPerSec: run === null ? null : Math.round(run.okPerSec), p99Ms: run?.latencyMs.p99 ?? null });
    }
    return {
      comparisons,
      scaling: {
        section: 'postgres-scaling',
        connections: SCALING_CONNECTIONS,
        deletesPerRun: plan.deletes,
        points,
        valid: problems.length === 0,
        problems,
      },
    };
  } finally {
    await backend.close();
    await admin.close();
  }
}
