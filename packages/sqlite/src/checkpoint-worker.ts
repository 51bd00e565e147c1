// The WAL checkpointer's worker thread: its own connection to the database file, running each checkpoint the main thread asks for.

/** What the main thread hands the worker when it starts it. */
export interface CheckpointWorkerData {
  /** The better-sqlite3 the package resolved, by absolute path (an eval'd worker belongs to no package). */
  readonly betterSqlite3: string;
  /** The database file, absolute. */
  readonly path: string;
  /** The main connection's `PRAGMA synchronous` (0-3): a checkpoint syncs exactly as that connection's would. */
  readonly synchronous: number;
  /** Past this many bytes of WAL a RESTART checkpoint follows the PASSIVE one. */
  readonly maxWalBytes: number;
  /** RESTART attempts per run before leaving it to the next run. */
  readonly restartAttempts: number;
}

/** One `PRAGMA wal_checkpoint` answer. */
export interface CheckpointCounts {
  /** It could not finish: another checkpoint was running, or (RESTART) a writer or a reader was in the way. */
  readonly busy: boolean;
  /** Frames in the WAL, i.e. page writes since the log last started over. */
  readonly walFrames: number;
  /** Of those, frames now copied into the database file. */
  readonly checkpointedFrames: number;
}

/** What one run did. */
export interface CheckpointReport {
  /** The PASSIVE checkpoint every run makes: it takes no lock that a reader or the writer needs. */
  readonly passive: CheckpointCounts;
  /** Bytes of WAL the frames `passive` found take (header, then page size + 24 per frame). */
  readonly walBytes: number;
  /** The RESTART checkpoint made because `walBytes` was over `maxWalBytes`; `null` when it was not. */
  readonly restart: CheckpointCounts | null;
}

/** Main thread → worker. */
export type CheckpointWorkerRequest = 'checkpoint' | 'close';

/** Worker → main thread, one per `checkpoint` request. */
export type CheckpointWorkerReply =
  { readonly report: CheckpointReport } | { readonly error: { readonly message: string; readonly code: string | undefined } };

/**
 * The worker's program, run with `new Worker(CHECKPOINT_WORKER_SOURCE, { eval: true, workerData })`
 * (plain CommonJS, so it runs the same from `dist/`, under a TypeScript loader and in tests). Its
 * connection has `busy_timeout` 0: a checkpoint never waits for a lock, it reports `busy` and the
 * next run tries again. It blocks only its own thread, never the event loop that serves requests.
 */
export const CHECKPOINT_WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const pause = new Int32Array(new SharedArrayBuffer(4));
const CATCH_UP_ROUNDS = 3;
const CAUGHT_UP_FRAMES = 256;
let db = null;
let frameBytes = 0;

function open() {
  const connection = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
  try {
    connection.pragma('synchronous = ' + workerData.synchronous);
    frameBytes = connection.pragma('page_size', { simple: true }) + 24;
  } catch (cause) {
    connection.close();
    throw cause;
  }
  db = connection;
}

function checkpoint(mode) {
  const row = db.pragma('wal_checkpoint(' + mode + ')')[0];
  return { busy: row.busy !== 0, walFrames: row.log, checkpointedFrames: row.checkpointed };
}

function bytes(frames) {
  return frames > 0 ? 32 + frames * frameBytes : 0;
}

function run() {
  if (db === null) open();
  const passive = checkpoint('PASSIVE');
  const walBytes = bytes(passive.walFrames);
  let restart = null;
  if (walBytes > workerData.maxWalBytes) {
    // The RESTART holds the write lock while it copies and syncs what is not yet copied: first catch
    // up, without the lock, with what was committed while the PASSIVE above copied.
    let last = passive;
    for (let round = 0; round < CATCH_UP_ROUNDS; round++) {
      const next = checkpoint('PASSIVE');
      const committedMeanwhile = next.walFrames - last.walFrames;
      last = next;
      if (committedMeanwhile <= CAUGHT_UP_FRAMES) break;
    }
    if (bytes(last.walFrames) <= workerData.maxWalBytes) return { passive, walBytes, restart };
    for (let attempt = 1; ; attempt++) {
      waitForFreeWriteLock();
      restart = checkpoint('RESTART');
      if (!restart.busy || attempt >= workerData.restartAttempts) break;
    }
  }
  return { passive, walBytes, restart };
}

// A RESTART tries the write lock once, and a busy writer holds it most of the time. This finds a
// moment it is free by taking and dropping it (an empty transaction writes nothing), polling every
// 0.2 ms for at most 20 ms. A commit that tried meanwhile is waiting on its own backoff timer, so
// the RESTART that follows at once usually gets the lock.
function waitForFreeWriteLock() {
  const until = performance.now() + 20;
  for (;;) {
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      return;
    } catch (cause) {
      if (!(cause && typeof cause.code === 'string' && cause.code.startsWith('SQLITE_BUSY'))) throw cause;
      if (performance.now() >= until) return;
      Atomics.wait(pause, 0, 0, 0.2);
    }
  }
}

parentPort.on('message', (request) => {
  if (request === 'close') {
    try {
      if (db !== null) db.close();
    } finally {
      db = null;
      parentPort.close();
    }
    return;
  }
  try {
    parentPort.postMessage({ report: run() });
  } catch (cause) {
    const failure = cause instanceof Error ? cause : new Error(String(cause));
    parentPort.postMessage({ error: { message: failure.message, code: typeof failure.code === 'string' ? failure.code : undefined } });
  }
});
`;
