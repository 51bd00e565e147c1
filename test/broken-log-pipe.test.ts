// A service or scrub whose log reader went away (stdout/stderr a broken pipe) still stops on SIGTERM and still exits after its run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceEnv, startServiceProcess, type ServiceProcess } from './support/service-process.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SCRUB = fileURLToPath(new URL('../examples/express-app/src/scrub.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
/** Far beyond a clean stop; only a hung process gets here. */
const HUNG_AFTER_MS = 30_000;

type Exit = { code: number | null; signal: NodeJS.Signals | null };

function exitOrHang(exited: Promise<Exit>, kill: () => void): Promise<Exit | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((done) => {
    timer = setTimeout(() => {
      kill();
      done('hung');
    }, HUNG_AFTER_MS);
  });
  return Promise.race([exited, hung]).finally(() => clearTimeout(timer));
}

describe('logging into a broken pipe', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'image-catalog-epipe-'));
  const services: ServiceProcess[] = [];
  afterAll(async () => {
    for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.kill('SIGKILL');
    await Promise.all(services.map((s) => s.exited));
    rmSync(root, { recursive: true, force: true });
  });

  it('the service still exits 0 on SIGTERM after its log reader closed the pipe', { timeout: 120_000 }, async () => {
    // Several at once: whether a log write is still in flight at exit is a matter of timing.
    const started = await Promise.all([0, 1, 2].map((i) => startServiceProcess(serviceEnv(path.join(root, `svc-${i}`)))));
    services.push(...started);
    const exits = await Promise.all(
      started.map(async (service) => {
        service.child.stdout!.destroy();
        service.child.stderr!.destroy();
        // The shutdown's own log lines are the first to meet the broken pipe.
        service.kill('SIGTERM');
        return exitOrHang(service.exited, () => service.kill('SIGKILL'));
      }),
    );
    expect(exits).toEqual(started.map(() => ({ code: 0, signal: null })));
  });

  it('the one-shot scrubber still exits with its status when nobody reads its output', { timeout: 120_000 }, async () => {
    const exits = await Promise.all(
      [0, 1, 2].map((i) => {
        const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, SCRUB], {
          cwd: ROOT,
          env: serviceEnv(path.join(root, `scrub-${i}`)),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.destroy();
        child.stderr.destroy();
        const exited = new Promise<Exit>((done) => child.once('exit', (code, signal) => done({ code, signal })));
        return exitOrHang(exited, () => child.kill('SIGKILL'));
      }),
    );
    expect(exits).toEqual([0, 1, 2].map(() => ({ code: 0, signal: null })));
  });
});
