// Runs a command to completion and hands back its exit status and output, for tests of command-line programs.
import { spawn } from 'node:child_process';

export interface RunProcessOptions {
  readonly cwd?: string;
  /** The child's whole environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Killed with SIGKILL after this long, and the promise rejects with what it printed (default 60 000 ms). */
  readonly timeoutMs?: number;
}

export interface ProcessOutcome {
  /** Exit status; `null` when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Node flags that run TypeScript sources the way the tests do: `--conditions=source --import tsx`. */
export const TYPESCRIPT_SOURCE_EXEC_ARGV = ['--conditions=source', '--import', 'tsx'] as const;

/**
 * Spawns `command args` with no shell and no stdin, and resolves once it has exited, whatever its
 * status: the caller asserts on `code`. Rejects only when it cannot be started or runs out of time.
 */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions = {}): Promise<ProcessOutcome> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new Error(
            `${command} ${args.join(' ')} ran longer than ${timeoutMs} ms and was killed\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
          ),
        );
      } else {
        resolve({ code, signal, stdout, stderr });
      }
    });
  });
}
