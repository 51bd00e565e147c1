// Case 4: the example service as shipped against a bare Express 5 app doing the minimal soft-delete, both as processes, loaded from a third.
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_TOKEN } from '../support/database.js';
import { runLoad, type LatencyFigures } from '../support/load-generator.js';
import type { BenchOptions } from '../support/options.js';
import type { ServiceBackend, ServiceSide } from '../support/service-backends.js';
import { median } from '../support/stats.js';

/** One measured run of one server. */
export interface ServiceRun {
  readonly side: ServiceSide;
  readonly okPerSec: number;
  readonly latencyMs: LatencyFigures;
  readonly elapsedMs: number;
  /** The server processes' CPU time per delete, until the relay had delivered every event (null without /proc). */
  readonly cpuUsPerRequest: number | null;
  /**
   * Example service only: undelivered events right after the last response
   * (`image_catalog_outbox_pending_events`, which counts up to 1000), and how long the relay then
   * took to deliver them. A backlog is work the response rate did not pay for.
   */
  readonly pendingEventsAtEnd: number | null;
  readonly drainMs: number | null;
  /** Deletes per second counting the relay's catch-up: deletes / (load time + drain time). */
  readonly sustainedPerSec: number;
}

export interface ServiceSideSummary {
  /** Median over the runs. */
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  /** Median server CPU time per delete, µs, the relay's catch-up included (null when not measured). */
  readonly cpuUsPerRequest: number | null;
  /** Median deletes/s counting the relay's catch-up (the same as reqPerSec for the baseline, which has no relay). */
  readonly sustainedPerSec: number;
  /** Each run's req/s, in the order they ran. */
  readonly runs: readonly number[];
}

export interface ServiceComparison {
  readonly section: 'service';
  readonly storage: 'sqlite' | 'postgres';
  readonly connections: number;
  /** Distinct images deleted per measured run (after `warmup` untimed ones), the same on both sides. */
  readonly deletesPerRun: number;
  readonly warmup: number;
  readonly library: ServiceSideSummary;
  readonly baseline: ServiceSideSummary;
  /** Library req/s / baseline req/s (higher is better; the target is ≥ 0.8). */
  readonly reqPerSecRatio: number;
  /** Library p99 / baseline p99 (lower is better; the target is ≤ 1.5). */
  readonly p99Ratio: number;
  /** Library / baseline deletes/s counting the relay's catch-up (higher is better). */
  readonly sustainedRatio: number;
  /** Library / baseline server CPU time per delete (lower is better): the figure to trust on a busy machine. */
  readonly cpuRatio: number | null;
  /** The largest outbox backlog a library run left behind (see `ServiceRun.pendingEventsAtEnd`). */
  readonly maxPendingEventsAtEnd: number | null;
  readonly valid: boolean;
  readonly problems: readonly string[];
  readonly runs: readonly ServiceRun[];
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function summarise(runs: readonly ServiceRun[]): ServiceSideSummary {
  const of = (pick: (r: ServiceRun) => number) => round2(median(runs.map(pick)));
  return {
    reqPerSec: Math.round(median(runs.map((r) => r.okPerSec))),
    p50Ms: of((r) => r.latencyMs.p50),
    p99Ms: of((r) => r.latencyMs.p99),
    p999Ms: of((r) => r.latencyMs.p999),
    cpuUsPerRequest: runs.some((r) => r.cpuUsPerRequest === null) ? null : Math.round(median(runs.map((r) => r.cpuUsPerRequest!))),
    sustainedPerSec: Math.round(median(runs.map((r) => r.sustainedPerSec))),
    runs: runs.map((r) => Math.round(r.okPerSec)),
  };
}

export interface ServiceRunPlan {
  readonly warmup: number;
  readonly deletes: number;
}

/**
 * One trial: a fresh copy of the seeded images, `servers` processes of one side on it, one load
 * process spreading `connections` keep-alive connections over them, warm-up then the measured
 * deletes; then the servers stop and the database must hold exactly the deletes.
 */
export async function runServiceTrial(
  backend: ServiceBackend,
  imageIds: readonly string[],
  side: ServiceSide,
  connections: number,
  plan: ServiceRunPlan,
  servers = 1,
): Promise<{ run: ServiceRun | null; problems: string[] }> {
  const trial = await backend.trial(`${backend.name}-${side}`);
  const problems: string[] = [];
  try {
    const started = [];
    try {
      for (let i = 0; i < servers; i++) started.push(await trial.start(side));
      const load = await runLoad({
        urls: started.map((s) => s.url),
        serverPids: started.map((s) => s.pid),
        token: BENCH_TOKEN,
        connections,
        warmupIds: imageIds.slice(0, plan.warmup),
        imageIds: imageIds.slice(plan.warmup, plan.warmup + plan.deletes),
        dir: trial.dir,
        // The service's relay delivers each delete's event in the background: a run ends when it has caught up.
        ...(side === 'library' ? { drainMetric: 'image_catalog_outbox_pending_events' } : {}),
      });
      problems.push(...load.problems);
      const { okPerSec, latencyMs, elapsedMs, serverCpuUsPerRequest, backlogAtEnd, drainMs, sustainedOkPerSec } = load.result;
      return {
        run: {
          side,
          okPerSec,
          latencyMs,
          elapsedMs,
          cpuUsPerRequest: serverCpuUsPerRequest,
          pendingEventsAtEnd: backlogAtEnd,
          drainMs,
          sustainedPerSec: sustainedOkPerSec,
        },
        problems,
      };
    } finally {
      for (const server of started) {
        const code = await server.stop();
        if (code !== 0) problems.push(`${server.label} exited with ${String(code)} on SIGTERM`);
      }
      problems.push(...(await trial.verify(plan.warmup + plan.deletes)));
    }
  } catch (cause) {
    problems.push(cause instanceof Error ? cause.message : String(cause));
    return { run: null, problems };
  } finally {
    await trial.dispose();
  }
}

/** How many images the service cases delete per trial; the seeded template holds this many. */
export function servicePlan(options: BenchOptions, storage: ServiceBackend['name']): ServiceRunPlan {
  return { warmup: options.serviceWarmup, deletes: storage === 'postgres' ? options.postgresDeletes : options.serviceDeletes };
}

/**
 * Per connection count, `serviceRounds` rounds of library then baseline, the order swapping every
 * round so drift on the machine does not land on one side.
 */
export async function runServiceComparisons(
  options: BenchOptions,
  backend: ServiceBackend,
  imageIds: readonly string[],
  progress: (message: string) => void,
): Promise<ServiceComparison[]> {
  const plan = servicePlan(options, backend.name);
  const rows: ServiceComparison[] = [];
  for (const connections of options.serviceConnections) {
    const runs: ServiceRun[] = [];
    const problems: string[] = [];
    for (let round = 0; round < options.serviceRounds; round++) {
      const order: readonly ServiceSide[] = round % 2 === 0 ? ['library', 'baseline'] : ['baseline', 'library'];
      for (const side of order) {
        progress(`${backend.name} service, ${connections} connections, round ${round + 1}/${options.serviceRounds}: ${side}`);
        const { run, problems: found } = await runServiceTrial(backend, imageIds, side, connections, plan);
        if (run !== null) runs.push(run);
        problems.push(...found.map((p) => `${side}: ${p}`));
        // Let the stopped server's last writes (WAL checkpoint, log) settle before the next one starts.
        await sleep(250);
      }
    }
    const library = summarise(runs.filter((r) => r.side === 'library'));
    const baseline = summarise(runs.filter((r) => r.side === 'baseline'));
    rows.push({
      section: 'service',
      storage: backend.name,
      connections,
      deletesPerRun: plan.deletes,
      warmup: plan.warmup,
      library,
      baseline,
      reqPerSecRatio: round2(library.reqPerSec / baseline.reqPerSec),
      p99Ratio: round2(library.p99Ms / baseline.p99Ms),
      sustainedRatio: round2(library.sustainedPerSec / baseline.sustainedPerSec),
      cpuRatio:
        library.cpuUsPerRequest !== null && baseline.cpuUsPerRequest ? round2(library.cpuUsPerRequest / baseline.cpuUsPerRequest) : null,
      maxPendingEventsAtEnd: runs.some((r) => r.side === 'library' && r.pendingEventsAtEnd !== null)
        ? Math.max(...runs.filter((r) => r.side === 'library').map((r) => r.pendingEventsAtEnd ?? 0))
        : null,
      valid: problems.length === 0 && library.runs.length === options.serviceRounds && baseline.runs.length === options.serviceRounds,
      problems,
      runs,
    });
  }
  return rows;
}

/** The SQLite service case: seeds once, then the comparisons at each connection count. */
export async function runSqliteServiceCase(
  options: BenchOptions,
  backend: ServiceBackend,
  progress: (message: string) => void,
): Promise<ServiceComparison[]> {
  const plan = servicePlan(options, backend.name);
  progress(`sqlite service: seeding ${plan.warmup + plan.deletes} images`);
  const imageIds = await backend.seed(plan.warmup + plan.deletes);
  return runServiceComparisons(options, backend, imageIds, progress);
}
