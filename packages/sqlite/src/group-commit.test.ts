// Group commit in durable mode: one transaction per batch of deletes, each request with its own outcome, savepoint and error.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import type { DeleteImageOutcome, DeleteImageRequest, StorageError } from '@image-catalog/core';
import { deleteImageRequest, expectOneWinnerPerImage } from '@image-catalog/testkit';
import type { Result } from 'neverthrow';
import { migrate } from './migrations.js';
import { openDatabase } from './open-database.js';
import { createSqliteStorage, type SqliteStorage } from './sqlite-storage.js';
import { deleteImageUseCase, dumpTables, fixedClock, ownerMember, sampleImage, tempDir, uuidFor } from './test-support/fixtures.js';
import { runWorkers } from './test-support/spawn-workers.js';

const dir = tempDir('image-catalog-group-commit-');
afterAll(() => dir.cleanup());

let files = 0;
const freshFile = () => dir.file(`gc-${++files}.db`);

/**
 * A durable database (WAL, synchronous=FULL, migrated) whose every executed statement is logged
 * through better-sqlite3's `verbose` trace: the test's way to count BEGINs, SAVEPOINTs and COMMITs.
 */
function openTraced(path: string): { db: BetterSqlite3.Database; log: string[]; count(sql: string): number } {
  const log: string[] = [];
  const db = new Database(path, { timeout: 5_000, verbose: (sql) => log.push(String(sql).trim()) });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return { db, log, count: (sql) => log.filter((line) => line === sql).length };
}

const clock = fixedClock();

function request(imageId: string, n: number): DeleteImageRequest {
  return deleteImageRequest({ id: imageId }, clock.now(), { jobsDueAt: clock.now(), eventId: uuidFor(n, 0xe7e7) });
}

async function seed(store: SqliteStorage, ids: readonly string[]): Promise<void> {
  for (const id of ids) expect((await store.catalog.createImage(sampleImage(id), clock.now())).isOk()).toBe(true);
}

/** Every row that belongs to one image, in every table that has one. */
function rowsOf(db: BetterSqlite3.Database, imageId: string): string {
  const tables = ['image_properties', 'image_tags', 'image_members', 'image_locations', 'data_deletion_jobs', 'outbox_events'];
  return JSON.stringify([
    db.prepare('SELECT * FROM images WHERE id = ?').raw().all(imageId),
    ...tables.map((t) =>
      (db.prepare(`SELECT * FROM ${t} WHERE image_id = ?`).raw().all(imageId) as unknown[]).map((r) => JSON.stringify(r)).sort(),
    ),
  ]);
}

function kindOf(result: Result<DeleteImageOutcome, StorageError>): string {
  return result.isOk() ? result.value.kind : result.error.kind;
}

describe('group commit (synchronous=FULL)', () => {
  let traced: ReturnType<typeof openTraced>;
  let store: SqliteStorage;

  beforeEach(() => {
    traced = openTraced(freshFile());
    store = createSqliteStorage(traced.db, { groupCommit: true });
  });

  afterEach(() => {
    if (traced.db.open) traced.db.close();
  });

  it('commits N deletes issued in one turn with one BEGIN IMMEDIATE and one COMMIT, one savepoint each, N outcomes', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => uuidFor(i, 0x6c01));
    await seed(store, ids);
    traced.log.length = 0;

    const results = await Promise.all(ids.map((id, i) => store.images.deleteImage(request(id, i))));

    expect(traced.count('BEGIN IMMEDIATE')).toBe(1);
    expect(traced.count('COMMIT')).toBe(1);
    expect(traced.count('SAVEPOINT delete_request')).toBe(ids.length);
    expect(traced.count('RELEASE delete_request')).toBe(ids.length);
    results.forEach((result, i) => {
      expect(
        result.isOk() &&
          result.value.kind === 'Deleted' &&
          result.value.image.id === ids[i] &&
          result.value.event.id === uuidFor(i, 0xe7e7),
      ).toBe(true);
    });
    expect(traced.db.prepare('SELECT count(*) FROM outbox_events').pluck().get()).toBe(ids.length);
    expect(traced.db.prepare('SELECT count(*) FROM data_deletion_jobs').pluck().get()).toBe(ids.length * 2);
    expect(traced.db.inTransaction).toBe(false);
  });

  it('never puts more than maxBatch deletes in one transaction', async () => {
    const bounded = createSqliteStorage(traced.db, { groupCommit: { maxBatch: 4 } });
    const ids = Array.from({ length: 10 }, (_, i) => uuidFor(i, 0x6c02));
    await seed(bounded, ids);
    traced.log.length = 0;

    const results = await Promise.all(ids.map((id, i) => bounded.images.deleteImage(request(id, i))));

    expect(results.map(kindOf)).toEqual(ids.map(() => 'Deleted'));
    expect(traced.count('BEGIN IMMEDIATE')).toBe(3);
    expect(traced.count('COMMIT')).toBe(3);
  });

  it('with maxDelayMs, a delete waits past the current turn for others; a full batch flushes at once', async () => {
    // The delay is far longer than the test: only reaching maxBatch can flush the batch.
    const delayed = createSqliteStorage(traced.db, { groupCommit: { maxDelayMs: 60_000, maxBatch: 2 } });
    const ids = [uuidFor(1, 0x6c03), uuidFor(2, 0x6c03)];
    await seed(delayed, ids);
    traced.log.length = 0;

    let firstSettled = false;
    const first = delayed.images.deleteImage(request(ids[0]!, 1)).map((outcome) => {
      firstSettled = true;
      return outcome;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(firstSettled).toBe(false);
    expect(traced.count('BEGIN IMMEDIATE')).toBe(0);
    const second = delayed.images.deleteImage(request(ids[1]!, 2));

    expect([await first, await second].map(kindOf)).toEqual(['Deleted', 'Deleted']);
    expect(traced.count('BEGIN IMMEDIATE')).toBe(1);
    expect(traced.count('COMMIT')).toBe(1);
  });

  it('concurrent deletes of one image in one batch: exactly one Deleted, the others NotFound, one event', async () => {
    const id = uuidFor(1, 0x6c04);
    await seed(store, [id]);
    traced.log.length = 0;

    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store.images.deleteImage(request(id, i))));

    expect(results.map(kindOf)).toEqual(['Deleted', 'NotFound', 'NotFound', 'NotFound', 'NotFound']);
    expect(traced.count('COMMIT')).toBe(1);
    expect(traced.db.prepare('SELECT count(*) FROM outbox_events WHERE image_id = ?').pluck().get(id)).toBe(1);
  });

  it('concurrent DeleteImage.execute calls on distinct images reach the store in the same turn: one transaction', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => uuidFor(i, 0x6c0c));
    await seed(store, ids);
    const useCase = deleteImageUseCase(store.images, clock);
    traced.log.length = 0;

    const results = await Promise.all(ids.map((imageId) => useCase.execute({ imageId, principal: ownerMember })));

    expect(results.every((r) => r.isOk())).toBe(true);
    expect(traced.count('BEGIN IMMEDIATE')).toBe(1);
    expect(traced.count('COMMIT')).toBe(1);
  });

  it('concurrent DeleteImage.execute calls on one image: one success, every other ImageNotFound', async () => {
    const id = uuidFor(1, 0x6c05);
    await seed(store, [id]);
    const useCase = deleteImageUseCase(store.images, clock);

    const results = await Promise.all(Array.from({ length: 6 }, () => useCase.execute({ imageId: id, principal: ownerMember })));

    expect(results.filter((r) => r.isOk())).toHaveLength(1);
    expect(results.filter((r) => r.isErr() && r.error.kind === 'ImageNotFound')).toHaveLength(5);
    expect(traced.db.prepare('SELECT count(*) FROM outbox_events WHERE image_id = ?').pluck().get(id)).toBe(1);
  });

  // The trigger technique of delete-atomicity.test.ts, aimed at one image of the batch.
  it.each([
    { how: 'RAISE(ABORT)', raise: "SELECT RAISE(ABORT, 'injected fault')", expected: 'StorageFault', begins: 1 },
    { how: 'a lock-style error', raise: 'SELECT injected_busy()', expected: 'StorageUnavailable', begins: 1 },
    // RAISE(ROLLBACK) ends the whole transaction: the others run again in a new one.
    { how: 'RAISE(ROLLBACK)', raise: "SELECT RAISE(ROLLBACK, 'injected rollback')", expected: 'StorageFault', begins: 2 },
  ])(
    'a fault ($how) in one request fails only that request and leaves its rows unchanged; the others commit',
    async ({ raise, expected, begins }) => {
      traced.db.function('injected_busy', () => {
        throw Object.assign(new Error('injected: database is locked'), { code: 'SQLITE_BUSY' });
      });
      const ids = [uuidFor(1, 0x6c06), uuidFor(2, 0x6c06), uuidFor(3, 0x6c06)];
      await seed(store, ids);
      const victim = ids[1]!;
      const before = rowsOf(traced.db, victim);
      // After the outbox row is written: only the savepoint's RELEASE and the COMMIT are left.
      traced.db.exec(`CREATE TEMP TRIGGER inject_fault AFTER INSERT ON outbox_events WHEN NEW.image_id = '${victim}' BEGIN ${raise}; END`);
      traced.log.length = 0;

      const results = await Promise.all(ids.map((id, i) => store.images.deleteImage(request(id, i))));

      expect(results.map(kindOf)).toEqual(['Deleted', expected, 'Deleted']);
      expect(traced.count('BEGIN IMMEDIATE')).toBe(begins);
      expect(traced.count('COMMIT')).toBe(1);
      expect(rowsOf(traced.db, victim)).toBe(before);
      for (const id of [ids[0]!, ids[2]!]) {
        expect(traced.db.prepare('SELECT deleted FROM images WHERE id = ?').pluck().get(id)).toBe(1);
        expect(traced.db.prepare('SELECT count(*) FROM outbox_events WHERE image_id = ?').pluck().get(id)).toBe(1);
        expect(traced.db.prepare('SELECT count(*) FROM data_deletion_jobs WHERE image_id = ?').pluck().get(id)).toBe(2);
      }
      expect(traced.db.inTransaction).toBe(false);

      // Once the fault is gone the victim's delete goes through, completely.
      traced.db.exec('DROP TRIGGER inject_fault');
      expect(kindOf(await store.images.deleteImage(request(victim, 9)))).toBe('Deleted');
    },
  );

  it('a call of another method made while deletes are queued runs before the batch, outside any transaction', async () => {
    const ids = [uuidFor(1, 0x6c07), uuidFor(2, 0x6c07)];
    await seed(store, ids);
    const deletes = ids.map((id, i) => store.images.deleteImage(request(id, i)));
    let inTransaction: boolean | null = null;
    const read = store.images.findById(ids[0]!).map((image) => {
      inTransaction = traced.db.inTransaction;
      return image;
    });
    const image = await read;
    expect(image.isOk() && image.value?.deleted).toBe(false);
    expect(inTransaction).toBe(false);
    expect((await Promise.all(deletes)).map(kindOf)).toEqual(['Deleted', 'Deleted']);
  });

  it('a database closed before the flush: every queued delete answers StorageFault, nothing is thrown', async () => {
    const ids = [uuidFor(1, 0x6c08), uuidFor(2, 0x6c08)];
    await seed(store, ids);
    const deletes = ids.map((id, i) => store.images.deleteImage(request(id, i)));
    traced.db.close();
    expect((await Promise.all(deletes)).map(kindOf)).toEqual(['StorageFault', 'StorageFault']);
  });

  it('refuses a nonsensical batch size or delay', () => {
    expect(() => createSqliteStorage(traced.db, { groupCommit: { maxBatch: 0 } })).toThrow(RangeError);
    expect(() => createSqliteStorage(traced.db, { groupCommit: { maxDelayMs: -1 } })).toThrow(RangeError);
  });
});

describe('group commit: a batch whose transaction cannot start or commit', () => {
  it('BEGIN IMMEDIATE blocked by another connection past the lock wait: every request StorageUnavailable, nothing written', async () => {
    const path = freshFile();
    const db = openDatabase(path, { synchronous: 'FULL', busyTimeoutMs: 20 });
    const other = openDatabase(path, { busyTimeoutMs: 20 });
    try {
      const store = createSqliteStorage(db, { groupCommit: true });
      const ids = [uuidFor(1, 0x6c09), uuidFor(2, 0x6c09), uuidFor(3, 0x6c09)];
      await seed(store, ids);
      const before = dumpTables(db);

      other.exec('BEGIN IMMEDIATE');
      const results = await Promise.all(ids.map((id, i) => store.images.deleteImage(request(id, i))));
      other.exec('ROLLBACK');

      expect(results.map(kindOf)).toEqual(['StorageUnavailable', 'StorageUnavailable', 'StorageUnavailable']);
      expect(dumpTables(db)).toBe(before);
      expect(db.inTransaction).toBe(false);
    } finally {
      other.close();
      db.close();
    }
  });

  it('COMMIT blocked by a reader past the lock wait (rollback journal): the whole batch is retried, then every request StorageUnavailable, nothing written', async () => {
    // In WAL mode readers never block a commit; with a rollback journal COMMIT needs an exclusive
    // lock, so a reader holding its snapshot makes exactly the COMMIT (not the BEGIN) fail busy.
    const path = freshFile();
    const traced = openTraced(path);
    traced.db.pragma('journal_mode = DELETE');
    const other = new Database(path, { timeout: 20 });
    try {
      const store = createSqliteStorage(traced.db, { groupCommit: true, lockWaitMs: 200 });
      const ids = [uuidFor(1, 0x6c0a), uuidFor(2, 0x6c0a), uuidFor(3, 0x6c0a)];
      await seed(store, ids);
      const before = dumpTables(traced.db);
      traced.log.length = 0;

      other.exec('BEGIN');
      other.prepare('SELECT count(*) FROM images').get();
      const results = await Promise.all(ids.map((id, i) => store.images.deleteImage(request(id, i))));
      other.exec('COMMIT');

      // Each try is a whole transaction that COMMIT could not finish, rolled back and run again on timers.
      const tries = traced.count('BEGIN IMMEDIATE');
      expect(tries).toBeGreaterThan(1);
      expect(traced.count('COMMIT')).toBe(tries);
      expect(traced.count('ROLLBACK')).toBe(tries);
      expect(traced.count('SAVEPOINT delete_request')).toBe(tries * ids.length);
      expect(results.map(kindOf)).toEqual(['StorageUnavailable', 'StorageUnavailable', 'StorageUnavailable']);
      expect(dumpTables(traced.db)).toBe(before);
      expect(traced.db.inTransaction).toBe(false);

      // The lock is gone: the same deletes commit.
      const retried = await Promise.all(ids.map((id, i) => store.images.deleteImage(request(id, i))));
      expect(retried.map(kindOf)).toEqual(['Deleted', 'Deleted', 'Deleted']);
    } finally {
      other.close();
      traced.db.close();
    }
  });
});

describe('group commit across processes', () => {
  const PROCESSES = 3;
  const IMAGES = 120;

  it('several processes with groupCommit on one durable file: exactly one winner per image, one event and one set of jobs each', async () => {
    const dbPath = freshFile();
    const db = openDatabase(dbPath, { synchronous: 'FULL' });
    try {
      const ids = Array.from({ length: IMAGES }, (_, i) => uuidFor(i, 0x6c0b));
      const seeding = createSqliteStorage(db);
      for (const id of ids) expect((await seeding.catalog.createImage(sampleImage(id), new Date())).isOk()).toBe(true);

      const results = await runWorkers(
        Array.from({ length: PROCESSES }, (_, p) => ({
          mode: 'delete' as const,
          dbPath,
          seed: 2000 + p,
          busyTimeoutMs: 5_000,
          groupCommit: true,
        })),
      );

      expectOneWinnerPerImage(results, IMAGES);
      const events = db.prepare('SELECT image_id, count(*) AS n FROM outbox_events GROUP BY image_id').all() as { n: number }[];
      expect(events).toHaveLength(IMAGES);
      expect(events.every((e) => e.n === 1)).toBe(true);
      expect(db.prepare('SELECT count(*) FROM data_deletion_jobs').pluck().get()).toBe(IMAGES * 2);
      expect(db.prepare('SELECT count(*) FROM images WHERE deleted = 0').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  }, 60_000);
});
