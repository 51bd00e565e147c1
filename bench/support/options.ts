// Benchmark options from flags (`--quick`, `--only=...`, sizes) and the matching BENCH_* environment variables.

export const SECTIONS = ['sqlite', 'http', 'memory', 'delete', 'checkpoint', 'service', 'postgres', 'service-memory'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly sections: readonly Section[];
  /** Images seeded per round, each deleted once per side. */
  readonly images: number;
  /** Timed rounds of the SQLite comparison (after one untimed warm-up round per side). */
  readonly sqliteRounds: number;
  /** Timed rounds of each HTTP comparison (after one untimed warm-up round per side). */
  readonly httpRounds: number;
  /** In-flight requests of the HTTP client. */
  readonly concurrency: number;
  /** Deletes per side in the memory comparison (reported scaled to 10 000). */
  readonly memoryDeletes: number;
  /** Images per round of the `delete` and `checkpoint` cases (20 properties, 20 tags, 10 members each). */
  readonly wideImages: number;
  /** Connection counts of the service cases (keep-alive, one load process). */
  readonly serviceConnections: readonly number[];
  /** Rounds per connection count; each round runs both servers, the order swapping every round. */
  readonly serviceRounds: number;
  /** Untimed deletes before each measured run of a server. */
  readonly serviceWarmup: number;
  /** Distinct images each server deletes in one measured run, SQLite. */
  readonly serviceDeletes: number;
  /** The same on PostgreSQL (fewer: every commit waits for the server's WAL flush). */
  readonly postgresDeletes: number;
  /** Deletes through the example service measured for RSS growth (the most, when a budget applies). */
  readonly serviceMemoryDeletes: number;
  /**
   * Seconds the service's measured deletes may take: N becomes the warm-up's rate × this, at most
   * `serviceMemoryDeletes`. null (with `--memory-deletes` given, or `--quick`): exactly `serviceMemoryDeletes`.
   */
  readonly serviceMemoryBudgetSeconds: number | null;
  /** Where the JSON results go. */
  readonly resultsFile: string;
}

function isSection(value: string): value is Section {
  return (SECTIONS as readonly string[]).includes(value);
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

/** What `pnpm bench --help` prints. */
export const USAGE = `usage: pnpm bench [--quick] [--only=SECTION,...] [--images=N] [--concurrency=N]
                  [--service-deletes=N] [--postgres-deletes=N] [--memory-deletes=N]
sections: ${SECTIONS.join(', ')} (default: all)
  --quick    smaller N, fewer rounds: a development run
  --only     run just these sections, e.g. --only=checkpoint (the commit p99 / p99.9 before and after)
the same from the environment: BENCH_QUICK=1, BENCH_ONLY, BENCH_IMAGES, BENCH_CONCURRENCY,
BENCH_SERVICE_DELETES, BENCH_POSTGRES_DELETES, BENCH_MEMORY_DELETES; bench/README.md says what each section measures`;

/** `argv` without the node and script entries. Flags win over the environment. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (arg === '--') continue;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new RangeError(`unknown argument ${JSON.stringify(arg)} (try --quick, --only=service,postgres)`);
    flags.set(match[1]!, match[2] ?? '1');
  }
  for (const name of flags.keys()) {
    if (!['quick', 'only', 'images', 'concurrency', 'service-deletes', 'postgres-deletes', 'memory-deletes'].includes(name))
      throw new RangeError(`unknown flag --${name}`);
  }
  const quick = flags.has('quick') || env['BENCH_QUICK'] === '1';
  const only = flags.get('only') ?? env['BENCH_ONLY'] ?? '';
  const sections = only === '' ? SECTIONS : only.split(',').map((s) => s.trim());
  for (const section of sections) {
    if (!isSection(section)) throw new RangeError(`--only takes ${SECTIONS.join('|')} (comma-separated), got ${JSON.stringify(section)}`);
  }
  const memoryDeletes = flags.get('memory-deletes') ?? env['BENCH_MEMORY_DELETES'];
  return {
    quick,
    sections: sections as Section[],
    images: positiveInt('--images', flags.get('images') ?? env['BENCH_IMAGES'], quick ? 300 : 2000),
    sqliteRounds: quick ? 2 : 4,
    httpRounds: quick ? 2 : 3,
    concurrency: positiveInt('--concurrency', flags.get('concurrency') ?? env['BENCH_CONCURRENCY'], 16),
    memoryDeletes: quick ? 1000 : 10_000,
    wideImages: quick ? 2000 : 6000,
    serviceConnections: [10, 50],
    serviceRounds: quick ? 1 : 3,
    serviceWarmup: quick ? 500 : 1500,
    serviceDeletes: positiveInt('--service-deletes', flags.get('service-deletes') ?? env['BENCH_SERVICE_DELETES'], quick ? 2000 : 10_000),
    postgresDeletes: positiveInt('--postgres-deletes', flags.get('postgres-deletes') ?? env['BENCH_POSTGRES_DELETES'], quick ? 1000 : 4000),
    serviceMemoryDeletes: positiveInt('--memory-deletes', memoryDeletes, quick ? 20_000 : 300_000),
    serviceMemoryBudgetSeconds: memoryDeletes === undefined && !quick ? 80 : null,
    resultsFile: env['BENCH_RESULTS'] ?? new URL('../results/latest.json', import.meta.url).pathname,
  };
}
