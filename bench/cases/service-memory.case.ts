// Case 6: RSS (and heap) growth of the example service over many deletes, read from outside, next to the bare Express server's.
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_TOKEN } from '../support/database.js';
import { scrapeMetric } from '../support/metrics-text.js';
import { runLoad } from '../support/load-generator.js';
import type { BenchOptions } from '../support/options.js';
import type { ServiceBackend, ServiceSide } from '../support/service-backends.js';

/** Readings at the end of one load process: after the warm-up (`deletes` 0), then after each chunk of measured deletes. */
export interface MemorySample {
  /** Measured deletes done when the reading was taken. */
  readonly deletes: number;
  readonly rssBytes: number;
  /**
   * The lowest `nodejs_heap_size_used_bytes` the service's `GET /metrics` reported while that load
   * process ran (read every 250 ms): without a forced GC, the low-water mark is the closest to the
   * live heap. null for the bare server (no such endpoint).
   */
  readonly heapLowBytes: number | null;
}

export interface ServiceMemorySide {
  readonly samples: readonly MemorySample[];
  /** RSS after the last chunk minus RSS after the warm-up, in MiB, and the same scaled to 1 000 000 deletes. */
  readonly rssGrowthMiB: number | null;
  readonly rssMiBPerMillion: number | null;
  /** Heap low-water mark of the last chunk minus that of the first chunk, and scaled to 1 000 000 deletes over the chunks between. */
  readonly heapGrowthMiB: number | null;
  readonly heapMiBPerMillion: number | null;
  /** Seconds the measured deletes took. */
  readonly seconds: number;
}

export interface ServiceMemoryRow {
  readonly section: 'service-memory';
  readonly warmup: number;
  /** Measured deletes per side (the issue asks for 1 000 000; `--memory-deletes` sets it). */
  readonly deletes: number;
  /** How N was chosen, e.g. `the warm-up's 1,020 deletes/s × 150 s, at most 300,000`. */
  readonly deletesChosen: string;
  readonly connections: number;
  readonly library: ServiceMemorySide | null;
  readonly baseline: ServiceMemorySide | null;
  readonly valid: boolean;
  readonly problems: readonly string[];
}

/** Readings per side after the warm-up: the measured deletes run in this many load processes. */
const CHUNKS = 5;
const CONNECTIONS = 10;
const MiB = 1024 * 1024;

export function memoryWarmup(options: BenchOptions): number {
  return options.quick ? 5000 : 20_000;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Growth from sample `from` to the last sample, in MiB and scaled to 1 000 000 deletes. */
function growth(samples: readonly MemorySample[], from: number, pick: (s: MemorySample) => number | null) {
  const first = samples[from];
  const last = samples.at(-1);
  const a = first === undefined ? null : pick(first);
  const b = last === undefined ? null : pick(last);
  if (a === null || b === null || last!.deletes <= first!.deletes) return { mib: null, perMillion: null };
  const mib = (b - a) / MiB;
  return { mib: round1(mib), perMillion: round1((mib * 1_000_000) / (last!.deletes - first!.deletes)) };
}

/** Runs `work` while polling `read` every 250 ms; answers its result and the lowest reading (null when none). */
async function withLowWater<T>(work: Promise<T>, read: (() => Promise<number | null>) | null): Promise<{ result: T; low: number | null }> {
  let done = false;
  let low: number | null = null;
  const poll = (async () => {
    while (read !== null && !done) {
      const value = await read().catch(() => null);
      if (value !== null) low = low === null ? value : Math.min(low, value);
      await sleep(250);
    }
  })();
  try {
    return { result: await work, low };
  } finally {
    done = true;
    await poll;
  }
}

/** Fixed, or (with a budget) as many as the warm-up's rate does in the budget: at most `max`, at least 20 000 (or `max`). */
export type DeletesPlan = { readonly fixed: number } | { readonly max: number; readonly budgetSeconds: number };

function chooseDeletes(plan: DeletesPlan, warmupRate: number): { deletes: number; chosen: string } {
  if ('fixed' in plan) return { deletes: plan.fixed, chosen: 'as set' };
  const fits = Math.floor((warmupRate * plan.budgetSeconds) / 1000) * 1000;
  const deletes = Math.max(Math.min(20_000, plan.max), Math.min(plan.max, fits));
  return {
    deletes,
    chosen: `the warm-up's ${Math.round(warmupRate).toLocaleString('en-US')} deletes/s × ${plan.budgetSeconds} s, at most ${plan.max.toLocaleString('en-US')}; --memory-deletes=N sets N`,
  };
}

async function measureSide(
  backend: ServiceBackend,
  imageIds: readonly string[],
  side: ServiceSide,
  warmup: number,
  plan: DeletesPlan,
  problems: string[],
  progress: (m: string) => void,
): Promise<{ side: ServiceMemorySide; deletes: number; chosen: string } | null> {
  const trial = await backend.trial(`memory-${side}`);
  try {
    const server = await trial.start(side);
    const samples: MemorySample[] = [];
    let seconds = 0;
    let deletes = 'fixed' in plan ? plan.fixed : plan.max;
    let chosen = 'as set';
    try {
      const heap = side === 'library' ? () => scrapeMetric(server.url, 'nodejs_heap_size_used_bytes') : null;
      /** One load process deleting `ids`, then a reading. */
      const deleteAndRead = async (ids: readonly string[], done: number, what: string) => {
        const { result: load, low } = await withLowWater(
          runLoad({
            urls: [server.url],
            serverPids: [server.pid],
            token: BENCH_TOKEN,
            connections: CONNECTIONS,
            warmupIds: [],
            imageIds: ids,
            dir: trial.dir,
            // Readings after the relay caught up, so a backlog of undelivered events is not counted as growth.
            ...(side === 'library' ? { drainMetric: 'image_catalog_outbox_pending_events' } : {}),
          }),
          heap,
        );
        problems.push(...load.problems.map((p) => `${side} ${what}: ${p}`));
        samples.push({ deletes: done, rssBytes: server.rssBytes(), heapLowBytes: low });
        return load.result;
      };
      progress(`service memory: ${side}, warm-up of ${warmup} deletes`);
      const warm = await deleteAndRead(imageIds.slice(0, warmup), 0, 'warm-up');
      ({ deletes, chosen } = chooseDeletes(plan, warm.okPerSec));
      const size = Math.ceil(deletes / CHUNKS);
      for (let done = 0; done < deletes; done += size) {
        const ids = imageIds.slice(warmup + done, warmup + Math.min(deletes, done + size));
        progress(`service memory: ${side}, deletes ${done + 1}-${done + ids.length} of ${deletes}`);
        seconds += (await deleteAndRead(ids, done + ids.length, 'measured')).elapsedMs / 1000;
      }
    } finally {
      const code = await server.stop();
      if (code !== 0) problems.push(`${side}: ${server.label} exited with ${String(code)} on SIGTERM`);
      problems.push(...(await trial.verify(warmup + deletes)).map((p) => `${side}: ${p}`));
    }
    const rss = growth(samples, 0, (s) => s.rssBytes);
    const heap = growth(samples, 1, (s) => s.heapLowBytes);
    return {
      side: {
        samples,
        rssGrowthMiB: rss.mib,
        rssMiBPerMillion: rss.perMillion,
        heapGrowthMiB: heap.mib,
        heapMiBPerMillion: heap.perMillion,
        seconds: Math.round(seconds * 10) / 10,
      },
      deletes,
      chosen,
    };
  } catch (cause) {
    problems.push(`${side}: ${cause instanceof Error ? cause.message : String(cause)}`);
    return null;
  } finally {
    await trial.dispose();
  }
}

/**
 * The library side first (its warm-up rate sets N when a time budget applies), then the bare
 * server on the same seeded images, the same warm-up and the same N.
 */
export async function runServiceMemoryCase(
  options: BenchOptions,
  backend: ServiceBackend,
  progress: (message: string) => void,
): Promise<ServiceMemoryRow> {
  const warmup = memoryWarmup(options);
  const max = options.serviceMemoryDeletes;
  progress(`service memory: seeding ${warmup + max} images`);
  const imageIds = await backend.seed(warmup + max);
  const problems: string[] = [];
  const plan: DeletesPlan =
    options.serviceMemoryBudgetSeconds === null ? { fixed: max } : { max, budgetSeconds: options.serviceMemoryBudgetSeconds };
  const library = await measureSide(backend, imageIds, 'library', warmup, plan, problems, progress);
  const deletes = library?.deletes ?? max;
  const baseline = await measureSide(backend, imageIds, 'baseline', warmup, { fixed: deletes }, problems, progress);
  return {
    section: 'service-memory',
    warmup,
    deletes,
    deletesChosen: library?.chosen ?? 'as set',
    connections: CONNECTIONS,
    library: library?.side ?? null,
    baseline: baseline?.side ?? null,
    valid: problems.length === 0 && library !== null && baseline !== null,
    problems,
  };
}
