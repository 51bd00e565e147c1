// Waiting for another connection's lock without blocking the event loop: retry on timers, with jittered backoff, until a deadline.
import { err, ResultAsync, type Result } from 'neverthrow';
import type BetterSqlite3 from 'better-sqlite3';
import { storageUnavailable, type StorageError } from '@image-catalog/core';

/** How long operations wait for a lock, and what they answer when it stays held. */
export interface LockWait {
  /** The per-operation deadline: past it a lock still held answers `StorageUnavailable`. */
  readonly lockWaitMs: number;
  /** `retryAfterSeconds` of that `StorageUnavailable`. */
  readonly retryAfterSeconds: number;
}

/** One try of an operation: it could not get the lock (`locked`, retry later), or it is over. */
export type LockAttempt<T> =
  { readonly locked: true; readonly cause: unknown } | { readonly locked: false; readonly result: Result<T, StorageError> };

/** The longest pause between two tries: a released lock is taken within about this long. */
export const LOCK_RETRY_MAX_STEP_MS = 25;

/**
 * The pause before try `round + 1` (round 0 is the first retry): 1, 2, 4, 8, 16, then 25 ms,
 * each drawn between half and all of that step so that waiters do not retry in lockstep.
 */
export function lockRetryDelayMs(round: number, random: () => number = Math.random): number {
  const step = Math.min(LOCK_RETRY_MAX_STEP_MS, 2 ** Math.min(round, 10));
  return Math.max(1, step / 2 + (random() * step) / 2);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` at once and, while it reports `locked`, again after growing pauses on timers, so
 * the event loop serves everything else in between. At the deadline (`lockWaitMs` after the call)
 * a lock still held answers `StorageUnavailable`. An attempt that gets through the first time
 * settles exactly as before: its work ran synchronously inside the call.
 */
export function retryWhileLocked<T>(attempt: () => LockAttempt<T>, wait: LockWait): ResultAsync<T, StorageError> {
  const deadline = performance.now() + wait.lockWaitMs;
  const first = attempt();
  if (!first.locked) return new ResultAsync(Promise.resolve(first.result));
  return new ResultAsync(retryUntil(deadline, attempt, first.cause, wait.retryAfterSeconds));
}

async function retryUntil<T>(
  deadline: number,
  attempt: () => LockAttempt<T>,
  firstCause: unknown,
  retryAfterSeconds: number,
): Promise<Result<T, StorageError>> {
  let cause = firstCause;
  for (let round = 0; ; round++) {
    const left = deadline - performance.now();
    if (left <= 0) return err(storageUnavailable(cause, retryAfterSeconds));
    await sleep(Math.min(left, lockRetryDelayMs(round)));
    const next = attempt();
    if (!next.locked) return next.result;
    cause = next.cause;
  }
}

const takenOver = new WeakMap<BetterSqlite3.Database, number>();

/**
 * Makes the connection fail at once on a held lock (`busy_timeout = 0`): SQLite's own busy wait
 * sleeps on the thread, which in Node is the event loop. Returns the busy timeout the connection
 * had before the first store took it over (`openDatabase`'s `busyTimeoutMs`, better-sqlite3's
 * `timeout`), the stores' default deadline.
 */
export function takeOverBusyTimeout(db: BetterSqlite3.Database): number {
  let previous = takenOver.get(db);
  if (previous === undefined) {
    previous = Number(db.pragma('busy_timeout', { simple: true }));
    takenOver.set(db, previous);
  }
  db.pragma('busy_timeout = 0');
  return previous;
}
