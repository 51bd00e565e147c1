// A write lock held by another process: operations wait on timers (the event loop keeps running), answer StorageUnavailable at the deadline, write nothing, and go through once it is free.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from './open-database.js';
import { createSqliteStorage, type SqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js';
import { deleteImageUseCase, dumpTables, fixedClock, ownerMember, sampleImage, tempDir, uuidFor } from './test-support/fixtures.js';
import { holdWriteLock, type LockHolder } from './test-support/lock-holder.js';

/** The lock-wait deadline of these tests (`openDatabase`'s `busyTimeoutMs`, which the store adopts). */
const DEADLINE_MS = 1_000;
/** Generous for a loaded 2-core machine (CI runs test files in parallel): a held lock used to stop the loop for the whole deadline (1 s). */
const MAX_LOOP_GAP_MS = 300;

/**
 * A 10 ms interval timer and the longest pause between two of its ticks: while the event loop is
 * blocked (a synchronous busy wait) nothing ticks, so the gap is as long as the block.
 */
function watchEventLoop(): { stop(): { readonly maxGapMs: number; readonly ticks: number } } {
  let last = performance.now();
  let maxGapMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return { maxGapMs: Math.max(maxGapMs, performance.now() - last), ticks };
    },
  };
}

/** The result and how long after `start` it settled. */
async function timed<T>(start: number, pending: PromiseLike<T>): Promise<{ readonly value: T; readonly ms: number }> {
  const value = await pending;
  return { value, ms: performance.now() - start };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = tempDir('image-catalog-held-lock-');
afterAll(() => dir.cleanup());

const clock = fixedClock();
let files = 0;
let path: string;
let db: BetterSqlite3.Database;
let holder: LockHolder | null = null;

beforeEach(() => {
  path = dir.file(`held-${++files}.db`);
  db = openDatabase(path, { busyTimeoutMs: DEADLINE_MS });
});

afterEach(async () => {
  await holder?.release();
  holder = null;
  db.close();
});

async function seed(store: SqliteStorage, ids: readonly string[]): Promise<void> {
  for (const id of ids) expect((await store.catalog.createImage(sampleImage(id), clock.now())).isOk()).toBe(true);
}

describe.each([
  { mode: 'one transaction per delete', options: {} satisfies SqliteStorageOptions, deletes: 1 },
  { mode: 'group commit', options: { groupCommit: true } satisfies SqliteStorageOptions, deletes: 3 },
])('a delete while another process holds the write lock ($mode)', ({ options, deletes }) => {
  const ids = Array.from({ length: deletes }, (_, i) => uuidFor(i, 0x10c4));

  it('answers StorageUnavailable at the deadline while the event loop keeps running and reads are served; nothing is written; after the release the same delete succeeds', async () => {
    const store = createSqliteStorage(db, options);
    await seed(store, ids);
    const useCase = deleteImageUseCase(store.images, clock);
    const before = dumpTables(db);
    holder = await holdWriteLock(path, 30_000);

    const loop = watchEventLoop();
    const start = performance.now();
    const waiting = ids.map((imageId) => timed(start, useCase.execute({ imageId, principal: ownerMember })));
    await sleep(DEADLINE_MS / 4);
    // A read in the middle of the wait: WAL readers do not wait for the writer, and nothing blocks the loop.
    const read = await timed(performance.now(), store.images.findById(ids[0]!));
    const settled = await Promise.all(waiting);
    const { maxGapMs, ticks } = loop.stop();

    console.info(
      `[held lock, ${options.groupCommit ? 'group commit' : 'plain'}] StorageUnavailable after ${settled.map((s) => Math.round(s.ms)).join(', ')} ms (deadline ${DEADLINE_MS}); read during the wait ${read.ms.toFixed(1)} ms; longest event-loop gap ${maxGapMs.toFixed(1)} ms over ${ticks} ticks`,
    );
    expect(read.value.isOk() && read.value.value?.deleted).toBe(false);
    expect(read.ms).toBeLessThan(MAX_LOOP_GAP_MS);
    for (const { value, ms } of settled) {
      expect(value.isErr() && value.error).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 5 });
      expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS);
      expect(ms).toBeLessThan(DEADLINE_MS + 1_000);
    }
    expect(maxGapMs).toBeLessThan(MAX_LOOP_GAP_MS);
    expect(ticks).toBeGreaterThan(DEADLINE_MS / 10 / 4);
    expect(db.inTransaction).toBe(false);
    expect(dumpTables(db)).toBe(before);

    await holder.release();
    const retried = await Promise.all(ids.map((imageId) => useCase.execute({ imageId, principal: ownerMember })));
    expect(retried.map((r) => r.isOk() && r.value.status)).toEqual(ids.map(() => 'deleted'));
    expect(db.prepare('SELECT count(*) FROM outbox_events').pluck().get()).toBe(ids.length);
  }, 30_000);

  it('goes through when the lock is released before the deadline, deciding on the row as it is then', async () => {
    const store = createSqliteStorage(db, { ...options, lockWaitMs: 5_000 });
    await seed(store, ids);
    const useCase = deleteImageUseCase(store.images, clock);
    holder = await holdWriteLock(path, 30_000);

    const start = performance.now();
    const waiting = ids.map((imageId) => timed(start, useCase.execute({ imageId, principal: ownerMember })));
    await sleep(300);
    const releasedAt = performance.now() - start;
    await holder.release();
    const settled = await Promise.all(waiting);

    for (const { value, ms } of settled) {
      expect(value.isOk() && value.value.status).toBe('deleted');
      expect(ms).toBeGreaterThanOrEqual(releasedAt);
      expect(ms).toBeLessThan(releasedAt + 1_000);
    }
    expect(db.prepare('SELECT count(*) FROM outbox_events').pluck().get()).toBe(ids.length);
    expect(db.prepare('SELECT count(*) FROM data_deletion_jobs').pluck().get()).toBe(ids.length * 2);
  }, 30_000);
});

describe('background writes while another process holds the write lock', () => {
  it('the scrubber claim and the relay claim answer StorageUnavailable at the deadline without blocking the loop; nothing changes; after the release they claim', async () => {
    const store = createSqliteStorage(db);
    const imageId = uuidFor(1, 0x10c5);
    await seed(store, [imageId]);
    expect((await deleteImageUseCase(store.images, clock).execute({ imageId, principal: ownerMember })).isOk()).toBe(true);
    const before = dumpTables(db);
    holder = await holdWriteLock(path, 30_000);

    const loop = watchEventLoop();
    const start = performance.now();
    // Past the lease the use case gives an inline worker: the jobs are due.
    const now = new Date(clock.now().getTime() + 3_600_000);
    const [jobs, events] = await Promise.all([
      timed(start, store.jobs.claimDue({ now, limit: 10, leaseSeconds: 60 })),
      timed(start, store.outbox.claimPending({ now, limit: 10, leaseSeconds: 60 })),
    ]);
    const { maxGapMs, ticks } = loop.stop();

    console.info(
      `[held lock, background] claimDue ${Math.round(jobs.ms)} ms, claimPending ${Math.round(events.ms)} ms (deadline ${DEADLINE_MS}); longest event-loop gap ${maxGapMs.toFixed(1)} ms over ${ticks} ticks`,
    );
    for (const { value, ms } of [jobs, events]) {
      expect(value.isErr() && value.error.kind).toBe('StorageUnavailable');
      expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS);
      expect(ms).toBeLessThan(DEADLINE_MS + 1_000);
    }
    expect(maxGapMs).toBeLessThan(MAX_LOOP_GAP_MS);
    expect(dumpTables(db)).toBe(before);

    await holder.release();
    expect((await store.jobs.claimDue({ now, limit: 10, leaseSeconds: 60 }))._unsafeUnwrap()).toHaveLength(2);
    expect((await store.outbox.claimPending({ now, limit: 10, leaseSeconds: 60 }))._unsafeUnwrap()).toHaveLength(1);
  }, 30_000);
});
