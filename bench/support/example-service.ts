// The example service as `pnpm start` runs it (tsc -b, then node on its dist/main.js), and the bare Express baseline, as processes.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BENCH_PRINCIPAL, BENCH_TOKEN } from './database.js';
import { startServerProcess, type ServerProcess } from './processes.js';

/** The repository root, where `pnpm start` runs. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = 'examples/express-app/dist/main.js';
const BARE_SERVER = fileURLToPath(new URL('../servers/bare-express-server.ts', import.meta.url));

/** `tsc -b` at the root, as `pnpm start` does before starting; throws with the compiler's output when it fails. */
export async function buildExample(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-b'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (cause) {
    const out = (cause as { stdout?: string }).stdout ?? '';
    throw new Error(`tsc -b failed, the example service cannot be built:\n${out.split('\n').slice(0, 20).join('\n')}`);
  }
}

/**
 * The bench's token as the service's token file (`IMAGE_CATALOG_TOKENS`), so both servers accept
 * the same X-Auth-Token and the bench does not depend on the demo tokens' names.
 */
export function writeTokensFile(dir: string): string {
  const file = join(dir, 'tokens.json');
  const { userId, projectId, roles } = BENCH_PRINCIPAL;
  writeFileSync(file, JSON.stringify({ [BENCH_TOKEN]: { userId, projectId, roles } }));
  return file;
}

/** The caller's environment without any of the service's settings, so it runs on its defaults plus `settings`. */
function serviceEnv(settings: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('IMAGE_CATALOG_') || ['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'HOST', 'NODE_OPTIONS'].includes(key)) continue;
    env[key] = value;
  }
  return { ...env, PORT: '0', HOST: '127.0.0.1', ...settings };
}

export interface ExampleServiceStart {
  /** `IMAGE_CATALOG_DATA_DIR` (created if missing). */
  readonly dataDir: string;
  /** `IMAGE_CATALOG_TOKENS`, from `writeTokensFile`. */
  readonly tokensFile: string;
  /** `DATABASE_URL`: PostgreSQL instead of SQLite. */
  readonly databaseUrl?: string;
  /** Where its stdout (the pino log at the default level, `info`) and stderr go. */
  readonly logFile: string;
}

/**
 * `node --enable-source-maps examples/express-app/dist/main.js` from the repository root, with
 * default settings except where it listens (`PORT=0` on 127.0.0.1), its data folder, the token file
 * and, for PostgreSQL, `DATABASE_URL`. Request logging, the relay and the scrubber run as shipped.
 */
export function startExampleService(start: ExampleServiceStart): Promise<ServerProcess> {
  mkdirSync(start.dataDir, { recursive: true });
  return startServerProcess({
    label: 'example service',
    command: process.execPath,
    // BENCH_SERVICE_NODE_ARGS: extra node flags for a profiling run (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`); none by default.
    args: [...(process.env['BENCH_SERVICE_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''), '--enable-source-maps', MAIN],
    cwd: REPO_ROOT,
    env: serviceEnv({
      IMAGE_CATALOG_DATA_DIR: start.dataDir,
      IMAGE_CATALOG_TOKENS: start.tokensFile,
      // A publisher, so the outbox relay runs as it does in any deployment that delivers its events (without one no relay runs).
      IMAGE_CATALOG_EVENTS_FILE: join(start.dataDir, 'events.jsonl'),
      ...(start.databaseUrl !== undefined ? { DATABASE_URL: start.databaseUrl } : {}),
    }),
    logFile: start.logFile,
  });
}

/** `bench/servers/bare-express-server.ts` on a SQLite file or a PostgreSQL URL, accepting the bench token. */
export function startBareServer(
  backend: { readonly sqlite: string } | { readonly postgres: string },
  logFile: string,
): Promise<ServerProcess> {
  const args = 'sqlite' in backend ? ['sqlite', backend.sqlite] : ['postgres', backend.postgres];
  return startServerProcess({
    label: 'bare Express server',
    command: process.execPath,
    args: [...(process.env['BENCH_SERVICE_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''), '--import', 'tsx', BARE_SERVER, ...args],
    cwd: REPO_ROOT,
    env: serviceEnv({ BENCH_TOKEN }),
    logFile,
  });
}

/**
 * Creates `count` images through the service's own `POST /v2/images` (queued, no data, owned by
 * the bench project), a few requests in flight on keep-alive connections.
 */
export async function postImages(url: string, count: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const n = next++;
      const response = await fetch(`${url}/v2/images`, {
        method: 'POST',
        headers: { 'x-auth-token': BENCH_TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `bench-${n}`, disk_format: 'qcow2', container_format: 'bare' }),
      });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`POST /v2/images answered ${response.status}, expected 201`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, lane));
}
