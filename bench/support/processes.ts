// Server processes for the service cases: spawned with their output in a log file, found by the URL they print, stopped with SIGTERM.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerProcessSpec {
  /** What the process is, for messages (e.g. `example service`). */
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** stdout and stderr go here (appended). */
  readonly logFile: string;
  /** How long to wait for the process to print its URL (default 60 s). */
  readonly startTimeoutMs?: number;
}

export interface ServerProcess {
  readonly label: string;
  readonly pid: number;
  /** `http://127.0.0.1:<port>`, the first loopback URL the process printed. */
  readonly url: string;
  readonly logFile: string;
  /** Resident set size now, from `/proc/<pid>/status` (`VmRSS`), in bytes. */
  rssBytes(): number;
  /** SIGTERM, then SIGKILL after `graceMs` (default 30 s); answers the exit code (`null` when killed by a signal). */
  stop(graceMs?: number): Promise<number | null>;
}

const LOOPBACK_URL = /http:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+/;

/** The end of a log file, to say why a process did not start. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Reads one `Vm*` line of `/proc/<pid>/status`, in bytes. */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (match === null) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Starts the process and waits until its log names the loopback URL it listens on. */
export async function startServerProcess(spec: ServerProcessSpec): Promise<ServerProcess> {
  const fd = openSync(spec.logFile, 'a');
  const child = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: spec.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    });
    child.once('error', () => {
      exitCode = -1;
      resolve(-1);
    });
  });
  const pid = child.pid ?? -1;
  const deadline = performance.now() + (spec.startTimeoutMs ?? 60_000);
  let url: string | null = null;
  while (url === null) {
    if (exitCode !== undefined || pid === -1) {
      throw new Error(`${spec.label} exited (code ${String(exitCode)}) before listening:\n${logTail(spec.logFile)}`);
    }
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${spec.label} did not print its URL within ${spec.startTimeoutMs ?? 60_000} ms:\n${logTail(spec.logFile)}`);
    }
    await sleep(25);
    url = LOOPBACK_URL.exec(readFileSync(spec.logFile, 'utf8'))?.[0] ?? null;
  }
  return {
    label: spec.label,
    pid,
    url,
    logFile: spec.logFile,
    rssBytes: () => procStatusBytes(pid, 'VmRSS'),
    async stop(graceMs = 30_000) {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
