// The external load generator: autocannon in its own process, one keep-alive DELETE per distinct image, latencies per request.
//
// node --import tsx bench/support/load-child.ts <spec.json>   (a LoadSpec; prints one LoadReport as JSON on stdout)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { scrapeMetric } from './metrics-text.js';

export interface LoadSpec {
  /** Servers to spread the connections over (round robin, as autocannon does with several URLs). */
  readonly urls: readonly string[];
  readonly token: string;
  readonly connections: number;
  /** Paths deleted first, untimed (JIT, caches, connection set-up); may be empty. */
  readonly warmupPaths: readonly string[];
  /** Paths deleted in the measured run, each exactly once. */
  readonly paths: readonly string[];
  /** Seconds before autocannon gives up on a response (counted as a timeout). */
  readonly timeoutSeconds: number;
  /** The servers' process ids: their CPU time over the measured run is reported (Linux `/proc`). */
  readonly serverPids: readonly number[];
  /**
   * A gauge of the servers' `GET /metrics` that must be back to 0 before a run counts as done, e.g.
   * the example's `image_catalog_outbox_pending_events`: the run then includes the background work
   * its requests caused (and the measured run starts after the warm-up's is finished). null: none.
   */
  readonly drainMetric: string | null;
}

/** How long a server may take to drain before the run is reported as not drained. */
const DRAIN_TIMEOUT_MS = 180_000;

export interface LatencyFigures {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoadResult {
  /** Responses received in the measured run. */
  readonly responses: number;
  readonly elapsedMs: number;
  /** 2xx responses per second of the measured run. */
  readonly okPerSec: number;
  /** Count per HTTP status, e.g. `{ "204": 10000 }`. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
  /** Milliseconds from writing a request to its complete response, 2xx responses only. */
  readonly latencyMs: LatencyFigures;
  /**
   * CPU time (user + system) the servers spent from the start of the run until it was drained, per
   * response, in microseconds; null without `/proc`. Unlike req/s it hardly moves when other
   * processes compete for the cores.
   */
  readonly serverCpuUsPerRequest: number | null;
  /** Milliseconds after the last response until `drainMetric` read 0 on every server; null without one. */
  readonly drainMs: number | null;
  /** `drainMetric` summed over the servers right after the last response (the backlog left); null without one. */
  readonly backlogAtEnd: number | null;
  /** The drain did not finish within 180 s. */
  readonly drainTimedOut: boolean;
  /** 2xx responses per second of the run including the drain (= okPerSec without a drain metric). */
  readonly sustainedOkPerSec: number;
}

/**
 * Waits until `metric` reads 0 on every server (read every 200 ms): the milliseconds it took (null
 * on timeout) and the first reading's sum (null when a server did not answer it).
 */
async function drain(urls: readonly string[], metric: string): Promise<{ ms: number | null; first: number | null }> {
  const started = performance.now();
  let first: number | null | undefined;
  while (performance.now() - started < DRAIN_TIMEOUT_MS) {
    const values = await Promise.all(urls.map((url) => scrapeMetric(url, metric).catch(() => null)));
    first ??= values.every((v) => v !== null) ? values.reduce((a, b) => a! + b!, 0) : null;
    if (values.every((v) => v === 0)) return { ms: performance.now() - started, first };
    await sleep(200);
  }
  return { ms: null, first: first ?? null };
}

/** Kernel clock ticks per second, the unit of utime and stime in `/proc/<pid>/stat`. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of the processes, in milliseconds; null when one cannot be read. */
function cpuMs(pids: readonly number[]): number | null {
  let ticks = 0;
  try {
    for (const pid of pids) {
      // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return null;
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

async function run(spec: LoadSpec, paths: readonly string[]): Promise<LoadResult> {
  const latencies = new Float64Array(paths.length);
  let ok = 0;
  let responses = 0;
  const statuses: Record<string, number> = {};
  let next = 0;
  const cpuBefore = cpuMs(spec.serverPids);
  const started = performance.now();
  /**
   * autocannon notices that every connection is done only at its next one-second tick, so the run
   * ends at its last response, not at autocannon's callback: that is when the clock stops, the
   * server's CPU time is read and the drain starts.
   */
  let ended: Promise<{ at: number; drained: Awaited<ReturnType<typeof drain>> | null; cpuAfter: number | null }> | null = null;
  const end = () => {
    const at = performance.now();
    const cpuAtEnd = spec.drainMetric === null ? cpuMs(spec.serverPids) : null;
    ended = (async () => {
      const drained = spec.drainMetric === null ? null : await drain(spec.urls, spec.drainMetric);
      return { at, drained, cpuAfter: drained === null ? cpuAtEnd : cpuMs(spec.serverPids) };
    })();
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        // autocannon takes several URLs and spreads the connections over them; @types/autocannon 7 only knows one.
        url: [...spec.urls] as unknown as string,
        connections: Math.min(spec.connections, paths.length),
        pipelining: 1,
        amount: paths.length,
        timeout: spec.timeoutSeconds,
        method: 'DELETE',
        headers: { 'x-auth-token': spec.token },
        // Each request takes the next image; past the end (a retry after an error) it asks for one that does not exist, which shows as a 404.
        requests: [
          { setupRequest: (request) => ({ ...request, path: paths[next++] ?? '/v2/images/00000000-0000-4000-8000-000000000000' }) },
        ],
      },
      (error, finished) => (error ? reject(error as Error) : resolve(finished)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      responses++;
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300 && ok < latencies.length) latencies[ok++] = responseTimeMs;
      if (responses === paths.length) end();
    });
  });
  // Fewer responses than requests (errors, timeouts): the run ended when autocannon gave up.
  if (ended === null) end();
  const { at, drained, cpuAfter } = await ended!;
  const elapsedMs = at - started;
  const drainMs = drained === null ? 0 : drained.ms;
  const sorted = latencies.subarray(0, ok).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    responses,
    elapsedMs: round3(elapsedMs),
    okPerSec: Math.round((ok / elapsedMs) * 1000 * 10) / 10,
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: {
      p50: round3(percentile(sorted, 50)),
      p90: round3(percentile(sorted, 90)),
      p99: round3(percentile(sorted, 99)),
      p999: round3(percentile(sorted, 99.9)),
      max: round3(sorted.at(-1) ?? Number.NaN),
      mean: round3(sum / Math.max(1, ok)),
    },
    serverCpuUsPerRequest:
      cpuBefore === null || cpuAfter === null ? null : Math.round(((cpuAfter - cpuBefore) * 1000) / Math.max(1, responses)),
    drainMs: drained === null || drainMs === null ? null : round3(drainMs),
    backlogAtEnd: drained?.first ?? null,
    drainTimedOut: drainMs === null,
    sustainedOkPerSec: Math.round((ok / (elapsedMs + (drainMs ?? DRAIN_TIMEOUT_MS))) * 1000 * 10) / 10,
  };
}

/** What the child prints: the untimed warm-up run (if any) and the measured run. */
export interface LoadReport {
  readonly warmup: LoadResult | null;
  readonly measured: LoadResult;
}

const specFile = process.argv[2];
if (specFile === undefined) throw new Error('usage: load-child.ts <spec.json>');
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as LoadSpec;
const warmup = spec.warmupPaths.length > 0 ? await run(spec, spec.warmupPaths) : null;
const report: LoadReport = { warmup, measured: await run(spec, spec.paths) };
process.stdout.write(`${JSON.stringify(report)}\n`);
