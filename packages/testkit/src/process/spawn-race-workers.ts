// Starts race workers as separate OS processes (TypeScript from source via tsx), releases them together, collects results.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RACE_GO_MESSAGE, type RaceWorkerConfig, type RaceWorkerMessage, type RaceWorkerResult } from './race-protocol.js';
import { TYPESCRIPT_SOURCE_EXEC_ARGV as DEFAULT_EXEC_ARGV } from './run-process.js';

export interface SpawnRaceWorkersOptions {
  /** A worker that has not exited by then is killed and the run fails (default 60 000 ms). */
  readonly timeoutMs?: number;
  /** Where the workers run; `--import tsx` must resolve from here (default: this process's cwd). */
  readonly cwd?: string;
  /** Node flags of the workers (default: `--conditions=source --import tsx`, so they run TypeScript sources). */
  readonly execArgv?: readonly string[];
}

/**
 * Runs `node --conditions=source --import tsx <workerModule> <config as JSON>` once per config.
 * Every worker opens its store and says "ready"; when all have, one "go" starts them racing.
 * Resolves with the results in config order once every process has exited; rejects when any
 * worker fails, exits without a result or runs out of time (the others are then killed).
 */
export async function spawnRaceWorkers<C extends RaceWorkerConfig>(
  workerModule: string | URL,
  configs: readonly C[],
  options: SpawnRaceWorkersOptions = {},
): Promise<RaceWorkerResult[]> {
  const modulePath = workerModule instanceof URL ? fileURLToPath(workerModule) : workerModule;
  const children: ChildProcess[] = [];
  const timer = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), options.timeoutMs ?? 60_000);
  try {
    const ready: Promise<void>[] = [];
    const results: Promise<RaceWorkerResult>[] = [];
    for (const config of configs) {
      const child = fork(modulePath, [JSON.stringify(config)], {
        cwd: options.cwd ?? process.cwd(),
        execArgv: [...(options.execArgv ?? DEFAULT_EXEC_ARGV)],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      let markReady: () => void;
      ready.push(new Promise<void>((resolve) => (markReady = resolve)));
      results.push(
        // Settles when the process has exited, so no worker outlives the test holding files or connections.
        new Promise<RaceWorkerResult>((resolve, reject) => {
          let result: RaceWorkerResult | undefined;
          let failure: string | undefined;
          child.on('message', (message: RaceWorkerMessage) => {
            if (message.type === 'ready') markReady();
            else if (message.type === 'result') {
              const { type: _type, ...reported } = message;
              result = { ...reported, pid: child.pid ?? -1 };
            } else failure = message.message;
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
    for (const child of children) child.send(RACE_GO_MESSAGE);
    return await Promise.all(results);
  } finally {
    clearTimeout(timer);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
