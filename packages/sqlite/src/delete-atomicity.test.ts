// A storage error at any step of the delete transaction leaves every table exactly as it was.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from './open-database.js';
import { createSqliteStorage, type SqliteStorage } from './sqlite-storage.js';
import { deleteImageUseCase, dumpTables, fixedClock, ownerMember, sampleImage, tempDir, uuidFor } from './test-support/fixtures.js';

/**
 * Faults are injected with triggers in the test's database, not with hooks in the adapter: each
 * trigger fires at one write of the delete, in the order the adapter issues them, the last one
 * after the outbox row is written (only COMMIT is left after it). A delete writes no child row
 * (the last test proves no trigger on a child table ever fires), so these are all its writes.
 */
const STEPS = [
  ['image', 'BEFORE UPDATE ON images'],
  ['first job', 'BEFORE INSERT ON data_deletion_jobs'],
  ['second job', 'BEFORE INSERT ON data_deletion_jobs WHEN (SELECT count(*) FROM data_deletion_jobs WHERE image_id = NEW.image_id) = 1'],
  ['outbox', 'AFTER INSERT ON outbox_events'],
] as const;

/** How the injected error surfaces: SQLite's own trigger abort, a rollback, or a lock timeout. */
const FAULTS = [
  { raise: "SELECT RAISE(ABORT, 'injected fault')", expected: 'StorageFault' },
  { raise: "SELECT RAISE(ROLLBACK, 'injected rollback')", expected: 'StorageFault' },
  { raise: 'SELECT injected_busy()', expected: 'StorageUnavailable' },
] as const;

describe('delete transaction atomicity', () => {
  const dir = tempDir();
  let db: BetterSqlite3.Database;
  let store: SqliteStorage;
  const clock = fixedClock();
  const imageId = uuidFor(1, 0xfa);

  beforeEach(async () => {
    db = openDatabase(dir.file(`faults-${Math.random().toString(36).slice(2)}.db`));
    db.function('injected_busy', () => {
      throw Object.assign(new Error('injected: database is locked'), { code: 'SQLITE_BUSY' });
    });
    store = createSqliteStorage(db);
    // A neighbour image that must not be touched, and an already-deleted one with its own rows.
    for (const id of [imageId, uuidFor(2, 0xfa), uuidFor(3, 0xfa)]) {
      expect((await store.catalog.createImage(sampleImage(id), clock.now())).isOk()).toBe(true);
    }
    const deleted = await deleteImageUseCase(store.images, clock).execute({ imageId: uuidFor(3, 0xfa), principal: ownerMember });
    expect(deleted.isOk()).toBe(true);
  });

  afterEach(() => {
    db.close();
  });

  afterAll(() => dir.cleanup());

  it.each(STEPS.flatMap(([step, timing]) => FAULTS.map((fault) => ({ step, timing, ...fault }))))(
    'a fault at $step ($expected) changes nothing',
    async ({ timing, raise, expected }) => {
      db.exec(`CREATE TEMP TRIGGER inject_fault ${timing} BEGIN ${raise}; END`);
      const before = dumpTables(db);

      const result = await deleteImageUseCase(store.images, clock).execute({ imageId, principal: ownerMember });

      expect(result.isErr() && result.error.kind).toBe(expected);
      expect(db.inTransaction).toBe(false);
      expect(dumpTables(db)).toBe(before);

      // Once the fault is gone the same delete goes through, completely.
      db.exec('DROP TRIGGER inject_fault');
      const retried = await deleteImageUseCase(store.images, clock).execute({ imageId, principal: ownerMember });
      expect(retried.isOk() && retried.value.dataDeletionJobs).toBe(2);
      expect(db.prepare('SELECT count(*) FROM outbox_events WHERE image_id = ?').pluck().get(imageId)).toBe(1);
    },
  );

  it('every trigger really fires during a delete (the fault points are not dead code)', async () => {
    db.exec('CREATE TEMP TABLE fired (step TEXT)');
    for (const [step, timing] of STEPS) {
      db.exec(`CREATE TEMP TRIGGER "count ${step}" ${timing} BEGIN INSERT INTO fired VALUES ('${step}'); END`);
    }
    const result = await deleteImageUseCase(store.images, clock).execute({ imageId, principal: ownerMember });
    expect(result.isOk()).toBe(true);
    const fired = new Set(db.prepare('SELECT step FROM fired').pluck().all());
    expect([...fired].sort()).toEqual(STEPS.map(([step]) => step).sort());
  });

  it('never writes a child row: no trigger on properties, tags, members or locations fires', async () => {
    db.exec('CREATE TEMP TABLE child_writes (tab TEXT)');
    for (const table of ['image_properties', 'image_tags', 'image_members', 'image_locations']) {
      for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
        db.exec(
          `CREATE TEMP TRIGGER "watch ${table} ${event}" BEFORE ${event} ON ${table} BEGIN INSERT INTO child_writes VALUES ('${table} ${event}'); END`,
        );
      }
    }
    const result = await deleteImageUseCase(store.images, clock).execute({ imageId, principal: ownerMember });
    expect(result.isOk() && result.value.dataDeletionJobs).toBe(2);
    expect(db.prepare('SELECT tab FROM child_writes').pluck().all()).toEqual([]);
  });
});
