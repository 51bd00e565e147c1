// Runs the example service as a child process from source, for end-to-end and crash tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runProcess } from '@image-catalog/testkit/process';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../examples/express-app/src/main.ts', import.meta.url));
const SCRUB = fileURLToPath(new URL('../../examples/express-app/src/scrub.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** Environment for a service on an ephemeral loopback port with the given data folder. */
export function serviceEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('IMAGE_CATALOG_') && k !== 'DATABASE_URL' && k !== 'PORT' && k !== 'HOST') base[k] = v;
  }
  return { ...base, PORT: '0', HOST: '127.0.0.1', IMAGE_CATALOG_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...extra };
}

function nodeArgs(entry: string): string[] {
  return ['--conditions=source', '--import', TSX, entry];
}

/** Starts the service and waits until it logs the address it listens on (at most `timeoutMs`). */
export function startServiceProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, nodeArgs(MAIN), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start within ${timeoutMs} ms:\n${out.slice(-4000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /"msg":"listening on (http:\/\/[^"]+)"/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
        resolve({ child, url: match[1]!, output: () => out, exited, kill: (signal = 'SIGTERM') => void child.kill(signal) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`service exited before listening (code ${code}, signal ${signal}):\n${out.slice(-4000)}`));
    });
  });
}

/** Runs the one-shot scrubber (`pnpm scrub`) to completion. */
export function runScrubProcess(
  env: Record<string, string>,
  args: readonly string[] = [],
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [...nodeArgs(SCRUB), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output: out })));
}

/** Runs the service expecting it to stop by itself (a refused start): its exit status and everything it printed. */
export async function runServiceUntilExit(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; output: string }> {
  const run = await runProcess(process.execPath, nodeArgs(MAIN), { cwd: ROOT, env, timeoutMs });
  return { code: run.code, output: run.stdout + run.stderr };
}
