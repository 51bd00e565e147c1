// Lock waits on timers: the backoff steps, the retry loop and its deadline, which failures are retried, and the connection's busy timeout taken over.
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { ok } from 'neverthrow';
import { LOCK_RETRY_MAX_STEP_MS, lockRetryDelayMs, retryWhileLocked, takeOverBusyTimeout, type LockAttempt } from './lock-wait.js';
import { migrate } from './migrations.js';
import { openDatabase } from './open-database.js';
import { SqliteConnection } from './sqlite-connection.js';
import { createSqliteStorage } from './sqlite-storage.js';
import { tempDir } from './test-support/fixtures.js';

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

const dir = tempDir('image-catalog-lock-wait-');
afterAll(() => dir.cleanup());
let files = 0;
const freshFile = () => dir.file(`lw-${++files}.db`);

describe('lockRetryDelayMs', () => {
  it('grows 1, 2, 4, 8, 16 ms, then stays at 25 ms, each drawn between half and all of its step, never under 1 ms', () => {
    const steps = [1, 2, 4, 8, 16, 25, 25, 25];
    steps.forEach((step, round) => {
      expect(lockRetryDelayMs(round, () => 1)).toBe(step);
      expect(lockRetryDelayMs(round, () => 0)).toBe(Math.max(1, step / 2));
    });
    expect(lockRetryDelayMs(1_000, () => 1)).toBe(LOCK_RETRY_MAX_STEP_MS);
  });
});

describe('retryWhileLocked', () => {
  it('runs the first try inside the call, and later tries on timers, letting other callbacks run in between', async () => {
    const log: string[] = [];
    let tries = 0;
    const result = retryWhileLocked(
      (): LockAttempt<string> => {
        tries++;
        log.push(`try ${tries}`);
        return tries < 3 ? { locked: true, cause: busy() } : { locked: false, result: ok('done') };
      },
      { lockWaitMs: 1_000, retryAfterSeconds: 5 },
    );
    expect(log).toEqual(['try 1']);
    setImmediate(() => log.push('another callback'));

    expect((await result)._unsafeUnwrap()).toBe('done');
    expect(log).toEqual(['try 1', 'another callback', 'try 2', 'try 3']);
  });

  it('answers StorageUnavailable (its cause the last lock error, the configured Retry-After) once the deadline has passed, after a bounded number of tries', async () => {
    let tries = 0;
    const cause = busy();
    const start = performance.now();
    const result = await retryWhileLocked(
      (): LockAttempt<never> => {
        tries++;
        return { locked: true, cause };
      },
      { lockWaitMs: 200, retryAfterSeconds: 7 },
    );
    const elapsed = performance.now() - start;

    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 7, cause });
    expect(elapsed).toBeGreaterThanOrEqual(200);
    // Backoff, not a spin: about 200 / 25 tries once the steps have grown, and at least a few.
    expect(tries).toBeGreaterThan(3);
    expect(tries).toBeLessThan(40);
  });

  it('with lockWaitMs 0 tries exactly once', async () => {
    let tries = 0;
    const result = await retryWhileLocked(
      (): LockAttempt<never> => {
        tries++;
        return { locked: true, cause: busy() };
      },
      { lockWaitMs: 0, retryAfterSeconds: 5 },
    );
    expect(result._unsafeUnwrapErr().kind).toBe('StorageUnavailable');
    expect(tries).toBe(1);
  });
});

describe('SqliteConnection: what is retried', () => {
  it('a read that gets SQLITE_BUSY is tried again, asynchronously, until it gets through', async () => {
    const db = openDatabase(freshFile());
    try {
      const connection = new SqliteConnection(db, { lockWaitMs: 1_000 });
      let tries = 0;
      const result = await connection.read(() => {
        tries++;
        if (tries < 3) throw busy();
        return db.prepare('SELECT count(*) FROM images').pluck().get();
      });
      expect(result._unsafeUnwrap()).toBe(0);
      expect(tries).toBe(3);
    } finally {
      db.close();
    }
  });

  it('SQLITE_BUSY thrown by a transaction body (it holds the write lock) is its answer at once, rolled back, never retried', async () => {
    const db = openDatabase(freshFile());
    try {
      const connection = new SqliteConnection(db, { lockWaitMs: 5_000 });
      let tries = 0;
      const insertAndFail = connection.transaction(() => {
        tries++;
        db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'x', 0)").run();
        throw busy();
      });
      const start = performance.now();
      const result = await insertAndFail();
      expect(result._unsafeUnwrapErr().kind).toBe('StorageUnavailable');
      expect(tries).toBe(1);
      expect(performance.now() - start).toBeLessThan(1_000);
      expect(db.prepare('SELECT count(*) FROM schema_migrations WHERE version = 999').pluck().get()).toBe(0);
      expect(db.inTransaction).toBe(false);
    } finally {
      db.close();
    }
  });

  it('a transaction whose BEGIN IMMEDIATE finds the lock held runs its whole body again once another connection lets go', async () => {
    const path = freshFile();
    const db = openDatabase(path);
    const other = openDatabase(path);
    try {
      const connection = new SqliteConnection(db, { lockWaitMs: 5_000 });
      let bodies = 0;
      const insert = connection.transaction(() => {
        bodies++;
        db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (998, 'x', 0)").run();
        return 'inserted';
      });
      other.exec('BEGIN IMMEDIATE');
      const pending = insert();
      setTimeout(() => other.exec('ROLLBACK'), 100);
      expect((await pending)._unsafeUnwrap()).toBe('inserted');
      // The body never ran while the lock was held: BEGIN IMMEDIATE failed first.
      expect(bodies).toBe(1);
      expect(db.prepare('SELECT count(*) FROM schema_migrations WHERE version = 998').pluck().get()).toBe(1);
    } finally {
      other.close();
      db.close();
    }
  });
});

describe('the connection taken over by a store', () => {
  it("sets busy_timeout to 0 and keeps the connection's earlier busy timeout as the default deadline, also for later stores", () => {
    const db = new Database(freshFile(), { timeout: 1_234 });
    try {
      db.pragma('journal_mode = WAL');
      migrate(db);
      expect(takeOverBusyTimeout(db)).toBe(1_234);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(0);
      expect(takeOverBusyTimeout(db)).toBe(1_234);
      expect(new SqliteConnection(db).lockWait).toEqual({ lockWaitMs: 1_234, retryAfterSeconds: 5 });
      expect(new SqliteConnection(db, { lockWaitMs: 50, retryAfterSeconds: 2 }).lockWait).toEqual({ lockWaitMs: 50, retryAfterSeconds: 2 });
    } finally {
      db.close();
    }
  });

  it('refuses a nonsensical lockWaitMs', () => {
    const db = openDatabase(freshFile());
    try {
      for (const lockWaitMs of [-1, 1.5, Number.NaN, Infinity]) {
        expect(() => createSqliteStorage(db, { lockWaitMs })).toThrow(RangeError);
      }
    } finally {
      db.close();
    }
  });
});
