// Holds a SQLite file's write lock from a separate Node process (BEGIN IMMEDIATE) until told to let go, for lock-wait tests.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

/** The better-sqlite3 this package resolves, handed to the child by absolute path (it runs from no package). */
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * The child: opens the file, takes the write lock, says `locked`, and rolls back (writing nothing)
 * when a line arrives on stdin, when stdin closes (the test process is gone) or after `maxHoldMs`.
 * It then says `released` and exits.
 */
const HOLDER = `
const [modulePath, dbPath, maxHoldMs] = process.argv.slice(1);
const Database = require(modulePath);
const db = new Database(dbPath, { timeout: 10000 });
db.exec('BEGIN IMMEDIATE');
process.stdout.write('locked\\n');
let done = false;
const release = () => {
  if (done) return;
  done = true;
  db.exec('ROLLBACK');
  db.close();
  process.stdout.write('released\\n', () => process.exit(0));
};
setTimeout(release, Number(maxHoldMs));
process.stdin.on('data', release);
process.stdin.on('end', release);
`;

export interface LockHolder {
  /** Asks the holder to roll back and resolves once it has released the lock and exited. */
  release(): Promise<void>;
  /** Resolves when the lock is released, asked or after `maxHoldMs`. */
  readonly released: Promise<void>;
}

/**
 * Starts a process that holds the write lock of the SQLite file at `dbPath` (which must exist) and
 * resolves once it holds it. It lets go when `release()` is called or after `maxHoldMs`, whichever
 * comes first; a holder that cannot start or take the lock within 20 s rejects.
 */
export function holdWriteLock(dbPath: string, maxHoldMs: number): Promise<LockHolder> {
  const child = spawn(process.execPath, ['-e', HOLDER, BETTER_SQLITE3, dbPath, String(maxHoldMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const released = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('released\n')) resolve();
    });
    void exited.then(() =>
      out.includes('released\n') ? resolve() : reject(new Error(`the lock holder exited without releasing:\n${err}`)),
    );
  });
  // Waiting callers always see the failure through `released` or the start-up rejection below.
  released.catch(() => undefined);
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  // Asking a holder that already let go (after maxHoldMs) must not crash the test on EPIPE.
  child.stdin.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the lock holder did not take the lock within 20 s:\n${err}`));
    }, 20_000);
    const onData = () => {
      if (!out.includes('locked\n')) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({
        released,
        async release() {
          if (child.exitCode === null && child.signalCode === null && child.stdin.writable) child.stdin.end('release\n');
          await released;
          await exited;
        },
      });
    };
    child.stdout.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the lock holder exited before taking the lock:\n${err}`));
    });
  });
}
