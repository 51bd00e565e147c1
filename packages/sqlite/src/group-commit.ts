// Group commit for the SQLite deleteImage: deletes queued in one event-loop turn commit in one transaction, each in its own savepoint.
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import type BetterSqlite3 from 'better-sqlite3';
import type { DeleteImageOutcome, DeleteImageRequest, StorageError } from '@image-catalog/core';
import { lockRetryDelayMs, type LockWait } from './lock-wait.js';
import { isBusy, toStorageError } from './storage-errors.js';

export interface GroupCommitOptions {
  /** Most deletes committed by one transaction; more wait for the next one (default 64). */
  readonly maxBatch?: number;
  /**
   * How long the first queued delete waits for others: `0` (default) flushes on `setImmediate`,
   * i.e. after every delete issued in the current event-loop turn (and its microtasks) has joined;
   * a positive value flushes after that many milliseconds with `setTimeout` (or as soon as
   * `maxBatch` deletes are queued).
   */
  readonly maxDelayMs?: number;
}

export const DEFAULT_GROUP_COMMIT_MAX_BATCH = 64;

export interface ResolvedGroupCommit {
  readonly maxBatch: number;
  readonly maxDelayMs: number;
}

/** `undefined`/`false` is off; `true` or an object is on, with defaults filled in. Throws RangeError on nonsense. */
export function resolveGroupCommit(option: boolean | GroupCommitOptions | undefined): ResolvedGroupCommit | null {
  if (option === undefined || option === false) return null;
  const given: GroupCommitOptions = option === true ? {} : option;
  const { maxBatch = DEFAULT_GROUP_COMMIT_MAX_BATCH, maxDelayMs = 0 } = given;
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new RangeError('createSqliteStorage: groupCommit.maxBatch must be a positive integer');
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < 0)
    throw new RangeError('createSqliteStorage: groupCommit.maxDelayMs must be a non-negative number');
  return { maxBatch, maxDelayMs };
}

type DeleteResult = Result<DeleteImageOutcome, StorageError>;

interface Queued {
  readonly request: DeleteImageRequest;
  readonly settle: (result: DeleteResult) => void;
  /** `performance.now()` past which a write lock still held elsewhere answers `StorageUnavailable`. */
  readonly deadline: number;
}

/** A batch that could not take (or keep, at COMMIT) the write lock: nothing of it was written, these requests run again. */
interface Locked {
  readonly cause: unknown;
  readonly requests: readonly Queued[];
}

interface Ran {
  readonly entry: Queued;
  readonly result: DeleteResult;
}

/**
 * Queues `deleteImage` requests and runs each batch synchronously, in one flush callback:
 * `BEGIN IMMEDIATE`, then per request `SAVEPOINT` / the delete / `RELEASE` (or `ROLLBACK TO` +
 * `RELEASE` when it throws, so only that request's writes are undone), then one `COMMIT`.
 * better-sqlite3 is synchronous, so no other statement of this connection can run between BEGIN
 * and COMMIT. Every request is settled only after its batch's COMMIT succeeded or failed; nothing
 * is ever thrown or rejected.
 *
 * When another connection holds the write lock (BEGIN IMMEDIATE or COMMIT fails with
 * SQLITE_BUSY), nothing of the batch was written: its requests go back to the head of the queue
 * and the next flush is a timer with backoff, taking along the deletes queued meanwhile. A
 * request still waiting at its own deadline (`lockWaitMs` after it was submitted) answers
 * `StorageUnavailable`.
 */
export class DeleteGroupCommitter {
  readonly #db: BetterSqlite3.Database;
  readonly #work: (request: DeleteImageRequest) => DeleteImageOutcome;
  readonly #retryAfter: number;
  readonly #lockWaitMs: number;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #sql: Record<
    'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollbackTo',
    BetterSqlite3.Statement<unknown[], unknown>
  >;
  #queue: Queued[] = [];
  /** `lock`: the last batch found the write lock held; this timer is its next try. */
  #timer:
    | { readonly kind: 'immediate'; readonly handle: NodeJS.Immediate }
    | { readonly kind: 'timeout' | 'lock'; readonly handle: NodeJS.Timeout }
    | null = null;
  /** Tries in a row that found the lock held: the backoff step. */
  #lockRound = 0;

  constructor(
    db: BetterSqlite3.Database,
    work: (request: DeleteImageRequest) => DeleteImageOutcome,
    lockWait: LockWait,
    options: ResolvedGroupCommit,
  ) {
    this.#db = db;
    this.#work = work;
    this.#retryAfter = lockWait.retryAfterSeconds;
    this.#lockWaitMs = lockWait.lockWaitMs;
    this.#maxBatch = options.maxBatch;
    this.#maxDelayMs = options.maxDelayMs;
    const p = (sql: string) => db.prepare(sql);
    this.#sql = {
      begin: p('BEGIN IMMEDIATE'),
      commit: p('COMMIT'),
      rollback: p('ROLLBACK'),
      savepoint: p('SAVEPOINT delete_request'),
      release: p('RELEASE delete_request'),
      rollbackTo: p('ROLLBACK TO delete_request'),
    };
  }

  submit(request: DeleteImageRequest): ResultAsync<DeleteImageOutcome, StorageError> {
    return new ResultAsync(
      new Promise<DeleteResult>((resolve) => {
        this.#queue.push({ request, settle: resolve, deadline: performance.now() + this.#lockWaitMs });
        this.#schedule(this.#queue.length >= this.#maxBatch);
      }),
    );
  }

  #schedule(now: boolean): void {
    if (this.#timer !== null) {
      // While waiting for the lock there is no point in trying sooner: the next try takes all that queued.
      if (!now || this.#timer.kind !== 'timeout') return;
      clearTimeout(this.#timer.handle);
    }
    this.#timer =
      now || this.#maxDelayMs === 0
        ? { kind: 'immediate', handle: setImmediate(this.#flush) }
        : { kind: 'timeout', handle: setTimeout(this.#flush, this.#maxDelayMs) };
  }

  readonly #flush = (): void => {
    this.#timer = null;
    const batch = this.#queue.splice(0, this.#maxBatch);
    let locked: Locked | null = null;
    try {
      locked = this.#commitBatch(batch);
    } catch (cause) {
      // Unreachable by design; settling twice is a no-op, so only requests still waiting get this.
      this.#rollbackIfOpen();
      const error = this.#error(cause);
      for (const entry of batch) entry.settle(err(error));
    }
    if (locked !== null) {
      this.#waitForLock(locked);
      return;
    }
    this.#lockRound = 0;
    // Whatever is left was already waiting: it goes next, without a further delay.
    if (this.#queue.length > 0) this.#schedule(true);
  };

  /** Requests past their deadline answer `StorageUnavailable`; the others go back first in line, tried again after a backoff pause. */
  #waitForLock({ cause, requests }: Locked): void {
    const now = performance.now();
    const waiting = requests.filter((entry) => {
      if (entry.deadline > now) return true;
      entry.settle(err(this.#error(cause)));
      return false;
    });
    this.#queue.unshift(...waiting);
    const first = this.#queue[0];
    if (first === undefined) {
      this.#lockRound = 0;
      return;
    }
    // Queued in submission order with one lockWaitMs: the head has the earliest deadline, and gets a last try at it.
    const delay = Math.min(lockRetryDelayMs(this.#lockRound++), Math.max(0, first.deadline - now));
    this.#timer = { kind: 'lock', handle: setTimeout(this.#flush, delay) };
  }

  #error(cause: unknown): StorageError {
    return toStorageError(cause, this.#retryAfter);
  }

  #rollbackIfOpen(): void {
    if (!this.#db.inTransaction) return;
    try {
      this.#sql.rollback.run();
    } catch {
      // The connection is unusable; the next BEGIN reports it.
    }
  }

  #failAll(entries: readonly Queued[], cause: unknown): void {
    this.#rollbackIfOpen();
    const error = this.#error(cause);
    for (const entry of entries) entry.settle(err(error));
  }

  /** `Locked` when the write lock was not to be had: nothing was written and no request of `requests` settled. */
  #commitBatch(batch: readonly Queued[]): Locked | null {
    let attempt = batch;
    while (attempt.length > 0) {
      try {
        this.#sql.begin.run();
      } catch (cause) {
        if (isBusy(cause)) return { cause, requests: attempt };
        this.#failAll(attempt, cause);
        return null;
      }
      const ran: Ran[] = [];
      let restart: Queued[] | null = null;
      for (const [i, entry] of attempt.entries()) {
        try {
          this.#sql.savepoint.run();
        } catch (cause) {
          this.#failAll(attempt, cause);
          return null;
        }
        try {
          const outcome = this.#work(entry.request);
          this.#sql.release.run();
          ran.push({ entry, result: ok(outcome) });
        } catch (cause) {
          const error = this.#error(cause);
          if (!this.#db.inTransaction) {
            // SQLite rolled the whole transaction back (RAISE(ROLLBACK), or an I/O, full or busy
            // error it cannot recover from): this request keeps its error; the others lost their
            // uncommitted work and run again in a new transaction.
            entry.settle(err(error));
            restart = [...ran.map((r) => r.entry), ...attempt.slice(i + 1)];
            break;
          }
          try {
            this.#sql.rollbackTo.run();
            this.#sql.release.run();
          } catch (undoCause) {
            entry.settle(err(error));
            this.#failAll([...ran.map((r) => r.entry), ...attempt.slice(i + 1)], undoCause);
            return null;
          }
          ran.push({ entry, result: err(error) });
        }
      }
      if (restart !== null) {
        attempt = restart;
        continue;
      }
      try {
        this.#sql.commit.run();
      } catch (cause) {
        this.#rollbackIfOpen();
        // Nothing committed. The lock was not to be had (a reader in rollback-journal mode): every
        // request of this transaction runs again. Otherwise requests that succeeded get the
        // commit's error, failed ones keep their own.
        if (isBusy(cause)) return { cause, requests: attempt };
        const error = this.#error(cause);
        for (const { entry, result } of ran) entry.settle(result.isOk() ? err(error) : result);
        return null;
      }
      for (const { entry, result } of ran) entry.settle(result);
      return null;
    }
    return null;
  }
}
