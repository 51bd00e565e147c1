// Keeps WAL checkpoints off the request path: automatic checkpoints off, PASSIVE checkpoints on a worker thread, RESTART past a size bound.
import { resolve as resolvePath } from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { err, ok, type Result, type ResultAsync } from 'neverthrow';
import type BetterSqlite3 from 'better-sqlite3';
import { silentLogger, type Logger, type StorageBackgroundWork, type StorageError } from '@image-catalog/core';
import { BackgroundLoop } from '@image-catalog/core/workers';
import {
  CHECKPOINT_WORKER_SOURCE,
  type CheckpointReport,
  type CheckpointWorkerData,
  type CheckpointWorkerReply,
  type CheckpointWorkerRequest,
} from './checkpoint-worker.js';
import { toStorageError } from './storage-errors.js';

export type { CheckpointCounts, CheckpointReport } from './checkpoint-worker.js';

export interface WalCheckpointOptions {
  /** Pause between the end of one checkpoint run and the start of the next, in ms (default 250). */
  readonly intervalMs?: number;
  /**
   * The WAL's size bound in bytes (default 64 MiB): a run that finds more in the WAL follows its
   * PASSIVE checkpoint with a RESTART one, so the next commit starts the log over.
   */
  readonly maxWalBytes?: number;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 250;
export const DEFAULT_MAX_WAL_BYTES = 64 * 1024 * 1024;
/** RESTART attempts per run, each right after the worker found the write lock free (a commit may still take it first, or a reader be in the way). */
const RESTART_ATTEMPTS = 10;
/** Busy RESTARTs in a row before the checkpointer says so at `warn`. */
const BUSY_RESTARTS_BEFORE_WARNING = 10;
/** How long `stop()` gives the worker to close its connection before terminating it. */
const CLOSE_TIMEOUT_MS = 5_000;

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

interface WorkerSlot {
  readonly thread: Worker;
  readonly exited: Promise<void>;
  pending: { resolve(reply: CheckpointWorkerReply): void; reject(cause: unknown): void } | null;
}

/** Why a database gets no checkpointer (`null`: it gets one). */
function reasonToSkip(db: BetterSqlite3.Database): string | null {
  if (db.memory) return 'an in-memory database has no WAL file';
  if (db.readonly) return 'a read-only connection does not write the WAL';
  const mode = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
  return mode === 'wal' ? null : `journal_mode is ${mode}, not wal`;
}

function checkedOptions(options: WalCheckpointOptions): Required<WalCheckpointOptions> {
  const intervalMs = options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  const maxWalBytes = options.maxWalBytes ?? DEFAULT_MAX_WAL_BYTES;
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) {
    throw new RangeError('createSqliteStorage: checkpoint.intervalMs must be a finite number > 0');
  }
  if (!Number.isSafeInteger(maxWalBytes) || maxWalBytes < 0) {
    throw new RangeError('createSqliteStorage: checkpoint.maxWalBytes must be a non-negative integer');
  }
  return { intervalMs, maxWalBytes };
}

/**
 * The WAL checkpointer of one database file (`storage.background` of `createSqliteStorage`).
 *
 * SQLite checkpoints on its own when a commit takes the WAL past 1 000 pages: that commit then
 * copies the pages into the database file and fsyncs it, on the thread that committed, which in
 * Node is the event loop every request waits for. `start()` turns that off
 * (`wal_autocheckpoint = 0` on the connection) and runs the checkpoints on a worker thread with
 * its own connection: a PASSIVE checkpoint every `intervalMs`, which takes no lock a reader or the
 * writer needs; and, when the WAL holds more than `maxWalBytes`, a RESTART checkpoint, so the next
 * commit starts the log over (under continuous writes a PASSIVE checkpoint alone never lets it).
 * The RESTART holds the write lock while it copies and syncs what was committed since the PASSIVE
 * ones before it (which catch up first): commits then wait, on the store's lock-wait timers, for
 * about two fsyncs, once per `maxWalBytes` of WAL. The checkpointer itself never waits for a lock:
 * a checkpoint that finds one held reports `busy` and the next run tries again. `stop()` waits for
 * the run in flight, closes the worker and gives the connection its automatic checkpoints back.
 *
 * An in-memory, read-only or non-WAL database gets a checkpointer that does nothing (`enabled`
 * false). Timers and the worker are unref'd: a running checkpointer never keeps the process alive.
 */
export class WalCheckpointer implements StorageBackgroundWork {
  /** False for an in-memory, read-only or non-WAL database, or with `checkpoint: false`; see `skippedBecause`. */
  readonly enabled: boolean;
  /** Why this checkpointer does nothing (`null` when `enabled`). */
  readonly skippedBecause: string | null;
  readonly #db: BetterSqlite3.Database;
  readonly #options: Required<WalCheckpointOptions>;
  readonly #loop: BackgroundLoop<CheckpointReport | null>;
  #logger: Logger = silentLogger;
  #worker: WorkerSlot | null = null;
  /** The connection's `wal_autocheckpoint` before `start()`, given back by `stop()`. */
  #autocheckpoint: number | null = null;
  #busyRestarts = 0;
  #lastFailure: string | null = null;

  /** Throws RangeError on nonsensical options. `options === false`: a checkpointer that does nothing. */
  constructor(db: BetterSqlite3.Database, options: WalCheckpointOptions | false = {}) {
    this.#db = db;
    this.#options = checkedOptions(options === false ? {} : options);
    this.skippedBecause = options === false ? 'turned off (checkpoint: false)' : reasonToSkip(db);
    this.enabled = this.skippedBecause === null;
    const logger: Logger = {
      debug: (obj, msg) => this.#logger.debug(obj, msg),
      info: (obj, msg) => this.#logger.info(obj, msg),
      warn: (obj, msg) => this.#logger.warn(obj, msg),
      error: (obj, msg) => this.#logger.error(obj, msg),
    };
    this.#loop = new BackgroundLoop('sqlite checkpointer', logger, () => this.#run());
  }

  /** True between `start()` and `stop()` (never for a checkpointer that is not `enabled`). */
  get running(): boolean {
    return this.#loop.running;
  }

  /**
   * Turns the connection's automatic checkpoints off and checkpoints every `intervalMs` from now
   * on, the first run at once. Failures are logged through `logger`. A second call does nothing.
   */
  start({ logger }: { readonly logger: Logger } = { logger: silentLogger }): void {
    if (!this.enabled || this.#loop.running) return;
    this.#logger = logger;
    try {
      this.#autocheckpoint = Number(this.#db.pragma('wal_autocheckpoint', { simple: true }));
      this.#db.pragma('wal_autocheckpoint = 0');
    } catch (cause) {
      logger.error({ err: cause }, 'sqlite checkpointer: could not turn automatic checkpoints off; SQLite keeps checkpointing on commit');
      return;
    }
    this.#loop.start({ intervalMs: this.#options.intervalMs });
  }

  /**
   * One run now (or the run in flight): a PASSIVE checkpoint on the worker, and a RESTART one when
   * the WAL is over `maxWalBytes`. Answers what it did (`null` when the checkpointer is not
   * `enabled`), or the failure as a `StorageError`; never rejects. Works without `start()`, which
   * leaves the automatic checkpoints on.
   */
  checkpointOnce(): ResultAsync<CheckpointReport | null, StorageError> {
    return this.#loop.runOnce();
  }

  /** Stops the timer, waits for the run in flight, closes the worker and turns automatic checkpoints back on. Never rejects. */
  async stop(): Promise<void> {
    await this.#loop.stop();
    if (this.#autocheckpoint !== null) {
      const previous = this.#autocheckpoint;
      this.#autocheckpoint = null;
      try {
        if (this.#db.open) this.#db.pragma(`wal_autocheckpoint = ${previous}`);
      } catch (cause) {
        this.#logger.warn({ err: cause }, 'sqlite checkpointer: could not turn automatic checkpoints back on');
      }
    }
    await this.#closeWorker();
  }

  async #run(): Promise<Result<CheckpointReport | null, StorageError>> {
    if (!this.enabled) return ok(null);
    let reply: CheckpointWorkerReply;
    try {
      reply = await this.#ask('checkpoint');
    } catch (cause) {
      return err(this.#failed(cause));
    }
    if ('error' in reply) return err(this.#failed(Object.assign(new Error(reply.error.message), { code: reply.error.code })));
    this.#succeeded(reply.report);
    return ok(reply.report);
  }

  #succeeded(report: CheckpointReport): void {
    if (this.#lastFailure !== null) {
      this.#lastFailure = null;
      this.#logger.info({}, 'sqlite checkpointer: checkpoints work again');
    }
    const { restart, walBytes } = report;
    if (restart === null) return;
    if (!restart.busy) {
      if (this.#busyRestarts >= BUSY_RESTARTS_BEFORE_WARNING) this.#logger.info({ walBytes }, 'sqlite checkpointer: the WAL was restarted');
      this.#busyRestarts = 0;
      this.#logger.debug({ walBytes, walFrames: restart.walFrames }, 'sqlite checkpointer: WAL over its bound, restarted');
      return;
    }
    if (++this.#busyRestarts === BUSY_RESTARTS_BEFORE_WARNING) {
      this.#logger.warn(
        { walBytes, maxWalBytes: this.#options.maxWalBytes, attempts: this.#busyRestarts },
        'sqlite checkpointer: the WAL is over maxWalBytes and could not be restarted (a long read transaction on another connection?); retrying every interval',
      );
    }
  }

  /** Logs a failure once until checkpoints work again (a failing disk must not log every interval). */
  #failed(cause: unknown): StorageError {
    const error = toStorageError(cause);
    const message = cause instanceof Error ? cause.message : String(cause);
    if (this.#lastFailure !== message) {
      this.#lastFailure = message;
      this.#logger.error({ err: cause }, 'sqlite checkpointer: checkpoint failed; retrying every interval');
    }
    return error;
  }

  /** One request to the worker (started on first use); the loop never has two in flight. */
  #ask(request: CheckpointWorkerRequest): Promise<CheckpointWorkerReply> {
    const slot = (this.#worker ??= this.#spawn());
    return new Promise<CheckpointWorkerReply>((resolve, reject) => {
      slot.pending = { resolve, reject };
      // Referenced while it works, so an awaited run (or stop) finishes before the process exits.
      slot.thread.ref();
      slot.thread.postMessage(request);
    });
  }

  #spawn(): WorkerSlot {
    const workerData: CheckpointWorkerData = {
      betterSqlite3: BETTER_SQLITE3,
      path: resolvePath(this.#db.name),
      synchronous: Number(this.#db.pragma('synchronous', { simple: true })),
      maxWalBytes: this.#options.maxWalBytes,
      restartAttempts: RESTART_ATTEMPTS,
    };
    const thread = new Worker(CHECKPOINT_WORKER_SOURCE, { eval: true, workerData });
    thread.unref();
    const slot: WorkerSlot = { thread, exited: new Promise((resolve) => thread.once('exit', () => resolve())), pending: null };
    const settle = (outcome: { reply: CheckpointWorkerReply } | { cause: unknown }) => {
      const pending = slot.pending;
      slot.pending = null;
      thread.unref();
      if (pending === null) return;
      if ('reply' in outcome) pending.resolve(outcome.reply);
      else pending.reject(outcome.cause);
    };
    thread.on('message', (reply: CheckpointWorkerReply) => settle({ reply }));
    thread.on('error', (cause) => settle({ cause }));
    thread.on('exit', (code) => {
      if (this.#worker === slot) this.#worker = null;
      settle({ cause: new Error(`the checkpoint worker exited (code ${code})`) });
    });
    return slot;
  }

  async #closeWorker(): Promise<void> {
    const slot = this.#worker;
    if (slot === null) return;
    this.#worker = null;
    slot.thread.ref();
    slot.thread.postMessage('close' satisfies CheckpointWorkerRequest);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([slot.exited, timedOut.then(() => slot.thread.terminate())]);
    clearTimeout(timer);
  }
}
