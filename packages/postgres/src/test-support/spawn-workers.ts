// Starts race workers as separate OS processes (TypeScript from source via tsx), releases them together, collects results.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig, WorkerMessage } from './race-worker.js';

const WORKER = fileURLToPath(new URL('./race-worker.ts', import.meta.url));
/** The repository root, where `tsx` is installed, so `--import tsx` resolves. */
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export type WorkerResult = Extract<WorkerMessage, { type: 'result' }> & { readonly pid: number };

/** Bounded: a worker that does not answer in time is killed and the run fails. */
const WORKER_TIMEOUT_MS = 90_000;

/** Runs `node --conditions=source --import tsx race-worker.ts <config>` per config; all start racing at one "go". */
export async function runWorkers(configs: readonly WorkerConfig[]): Promise<WorkerResult[]> {
  const children: ChildProcess[] = [];
  const timer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), WORKER_TIMEOUT_MS);
  try {
    const ready: Promise<void>[] = [];
    const results: Promise<WorkerResult>[] = [];
    for (const config of configs) {
      const child = fork(WORKER, [JSON.stringify(config)], {
        cwd: REPO_ROOT,
        execArgv: ['--conditions=source', '--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      let markReady: () => void;
      ready.push(new Promise<void>((resolve) => (markReady = resolve)));
      results.push(
        // Settles when the process has exited, so no worker outlives the test holding connections.
        new Promise<WorkerResult>((resolve, reject) => {
          let result: WorkerResult | undefined;
          let failure: string | undefined;
          child.on('message', (message: WorkerMessage) => {
            if (message.type === 'ready') markReady();
            else if (message.type === 'result') result = { ...message, pid: child.pid ?? -1 };
            else failure = message.message;
          });
          child.on('exit', (code, signal) => {
            if (result !== undefined && code === 0) resolve(result);
            else reject(new Error(`worker ${child.pid} exited (${code ?? signal}) ${failure ?? 'before reporting'}`));
          });
          child.on('error', reject);
        }),
      );
      // A worker that dies before "ready" must not leave the others waiting forever.
      results[results.length - 1]!.catch(() => markReady());
    }
    await Promise.all(ready);
    for (const child of children) child.send('go');
    return await Promise.all(results);
  } finally {
    clearTimeout(timer);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
