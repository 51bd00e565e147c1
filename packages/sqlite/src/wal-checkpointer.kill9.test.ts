// A process killed with SIGKILL while its checkpointer copies and restarts the WAL loses no commit: every id it reported committed is there after reopening.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TYPESCRIPT_SOURCE_EXEC_ARGV } from '@image-catalog/testkit/process';
import { openDatabase } from './open-database.js';
import { tempDir } from './test-support/fixtures.js';

const CHILD = fileURLToPath(new URL('./test-support/checkpoint-writer-child.ts', import.meta.url));
const ROUNDS = 3;

/** Runs the writer until it reported `commits` more commits and `restarts` WAL restarts, then SIGKILLs it; answers the ids it reported. */
function writeUntilKilled(dbPath: string, round: number, commits: number, restarts: number): Promise<string[]> {
  const child = spawn(process.execPath, [...TYPESCRIPT_SOURCE_EXEC_ARGV, CHILD, dbPath, String(round + 1)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const committed: string[] = [];
  let restarted = 0;
  let stderr = '';
  let buffered = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'restarted') restarted++;
        else if (line.startsWith('committed ')) committed.push(line.slice('committed '.length));
      }
      if (committed.length >= commits && restarted >= restarts) child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && committed.length >= commits && restarted >= restarts) resolve(committed);
      else
        reject(
          new Error(`the writer ended (code ${code}, ${signal}) after ${committed.length} commits and ${restarted} restarts:\n${stderr}`),
        );
    });
  });
}

let dir: ReturnType<typeof tempDir>;

beforeEach(() => {
  dir = tempDir('image-catalog-checkpoint-kill9-');
  openDatabase(dir.file('images.db')).close();
});

afterEach(() => dir.cleanup());

describe('WalCheckpointer under kill -9', () => {
  it(`loses no commit over ${ROUNDS} kills in the middle of checkpoints and restarts`, async () => {
    const everything: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A different moment each round: more commits and restarts before the kill.
      everything.push(...(await writeUntilKilled(dir.file('images.db'), round, 300 + 250 * round, 3 + 2 * round)));
      const db = new Database(dir.file('images.db'));
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const stored = new Set(db.prepare('SELECT id FROM images').pluck().all() as string[]);
        expect(everything.filter((id) => !stored.has(id))).toEqual([]);
      } finally {
        db.close();
      }
    }
  });
});
