// Opens a SQLite file the way the adapter expects it (WAL, busy timeout, foreign keys) and migrates it.
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { MIGRATIONS, migrate, type Migration } from './migrations.js';
import { isBusy } from './storage-errors.js';

export interface OpenDatabaseOptions {
  /**
   * How long an operation waits for another connection's lock (default 5 000 ms). It is the
   * connection's SQLite `busy_timeout`, so opening and migrating here wait synchronously, as a
   * start-up step; `createSqliteStorage` then sets `busy_timeout` to 0 and adopts this as its
   * `lockWaitMs`: the ports wait on timers, never blocking the event loop, and answer
   * `StorageUnavailable` past it.
   */
  readonly busyTimeoutMs?: number;
  /**
   * `NORMAL` (default): in WAL mode a commit survives a process crash; a power loss may undo the
   * last few commits. `FULL`: every commit is fsynced before it returns (durable mode).
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** Apply pending migrations while opening (default `true`). */
  readonly migrate?: boolean;
  /** The migration list to apply (default {@link MIGRATIONS}). */
  readonly migrations?: readonly Migration[];
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed) the database at `path` (`:memory:` works for tests), configured for
 * the store: WAL so readers never wait for the writer, `busy_timeout`, `foreign_keys = ON`,
 * `synchronous` as chosen. Throws when the file cannot be opened or migrated.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): BetterSqlite3.Database {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError('openDatabase: busyTimeoutMs must be a non-negative integer');
  }
  const synchronous = options.synchronous ?? 'NORMAL';
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new RangeError("openDatabase: synchronous must be 'NORMAL' or 'FULL'");
  }
  // better-sqlite3's `timeout` is SQLite's busy_timeout; setting it first lets the WAL switch
  // below wait for a second process that is opening the same new file at the same moment.
  const db = new Database(path, { timeout: busyTimeoutMs });
  try {
    switchToWal(db, busyTimeoutMs);
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('foreign_keys = ON');
    if (options.migrate ?? true) migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (cause) {
    db.close();
    throw cause;
  }
}

/**
 * `journal_mode = WAL`, retried until `deadlineMs`: while another process is creating the same
 * new file SQLite may answer SQLITE_BUSY at once, without its busy handler (the journal-mode change
 * needs an exclusive lock). A start-up step, so the short pauses block on purpose.
 */
function switchToWal(db: BetterSqlite3.Database, deadlineMs: number): void {
  const until = Date.now() + deadlineMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (cause) {
      if (!isBusy(cause) || Date.now() >= until) throw cause;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}
