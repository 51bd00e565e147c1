// Storage failures come back as data: a held lock is StorageUnavailable, a broken database StorageFault.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from './open-database.js';
import { createSqliteStorage, type SqliteStorage } from './sqlite-storage.js';
import { toStorageError } from './storage-errors.js';
import { admin, deleteImageUseCase, dumpTables, fixedClock, sampleImage, tempDir, uuidFor } from './test-support/fixtures.js';
import { deleteImageRequest } from '@image-catalog/testkit';

const sqliteError = (code: string, message = 'x') => Object.assign(new Error(message), { name: 'SqliteError', code });

describe('toStorageError', () => {
  it.each([
    'SQLITE_BUSY',
    'SQLITE_BUSY_SNAPSHOT',
    'SQLITE_BUSY_TIMEOUT',
    'SQLITE_LOCKED',
    'SQLITE_LOCKED_SHAREDCACHE',
    'SQLITE_PROTOCOL',
    'SQLITE_CANTOPEN',
    'SQLITE_IOERR_FSYNC',
    'SQLITE_FULL',
    'SQLITE_READONLY',
    'SQLITE_READONLY_RECOVERY',
  ])('%s is StorageUnavailable with the configured Retry-After', (code) => {
    const error = toStorageError(sqliteError(code), 7);
    expect(error).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 7 });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('"database is locked" without a code is StorageUnavailable', () => {
    expect(toStorageError(new Error('database is locked')).kind).toBe('StorageUnavailable');
  });

  it.each(['SQLITE_ERROR', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CORRUPT', 'SQLITE_MISMATCH', 'SQLITE_BUSYNESS'])(
    '%s is StorageFault',
    (code) => {
      expect(toStorageError(sqliteError(code)).kind).toBe('StorageFault');
    },
  );

  it('anything that is not an SQLite error is StorageFault, and messages never carry SQL', () => {
    for (const cause of [new TypeError('The database connection is not open'), 'a string', null, undefined, { code: 42 }]) {
      const error = toStorageError(cause);
      expect(error.kind).toBe('StorageFault');
      expect(error.message).toBe('The server has either erred or is incapable of performing the requested operation.');
    }
  });
});

describe('a write lock held past the busy timeout', () => {
  const dir = tempDir();
  const clock = fixedClock();
  const imageId = uuidFor(1, 0xb0);
  let holder: BetterSqlite3.Database;
  let db: BetterSqlite3.Database;

  beforeEach(async () => {
    const path = dir.file(`locked-${Math.random().toString(36).slice(2)}.db`);
    holder = openDatabase(path);
    db = openDatabase(path, { busyTimeoutMs: 50 });
    const created = await createSqliteStorage(holder).catalog.createImage(sampleImage(imageId), clock.now());
    expect(created.isOk()).toBe(true);
  });

  afterEach(() => {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    db.close();
  });

  afterAll(() => dir.cleanup());

  it('makes DeleteImage answer StorageUnavailable (not a throw), and changes nothing', async () => {
    const store = createSqliteStorage(db, { retryAfterSeconds: 2 });
    const before = dumpTables(db);
    holder.exec('BEGIN IMMEDIATE');

    const result = await deleteImageUseCase(store.images, clock).execute({ imageId, principal: admin });

    expect(result.isErr() && result.error).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 2 });
    expect(db.inTransaction).toBe(false);
    holder.exec('ROLLBACK');
    expect(dumpTables(db)).toBe(before);
    // The lock released, the same request succeeds.
    expect((await deleteImageUseCase(store.images, clock).execute({ imageId, principal: admin })).isOk()).toBe(true);
  });

  it('still lets readers through (WAL), and every write port answers StorageUnavailable', async () => {
    const store = createSqliteStorage(db);
    holder.exec('BEGIN IMMEDIATE');
    const now = clock.now();

    expect((await store.images.findById(imageId))._unsafeUnwrap()?.id).toBe(imageId);
    expect((await store.jobs.listJobs({}))._unsafeUnwrap()).toEqual([]);
    const writes = [
      store.images.deleteImage(deleteImageRequest({ id: imageId }, now, { jobsDueAt: now, eventId: 'e-1' })),
      store.images.restoreImage(imageId, now),
      store.catalog.createImage(sampleImage(uuidFor(2, 0xb0)), now),
      store.catalog.updateImage(imageId, { protected: true }, now),
      store.catalog.addMember(imageId, 'project-z', now),
      store.catalog.attachImageData(imageId, { url: 'file:///x', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'v' }, now),
      store.jobs.claimDue({ now, limit: 10, leaseSeconds: 60 }),
      store.jobs.complete('job-1', now),
      store.jobs.fail('job-1', { now, error: 'x', retryAt: null }),
      store.jobs.requeueDead(now),
      store.outbox.claimPending({ now, limit: 10, leaseSeconds: 60 }),
      store.outbox.markDelivered(['e-1'], now),
      store.outbox.markFailed('e-1', { now, error: 'x', retryAt: now }),
    ];
    for (const write of writes) {
      const result = await write;
      expect(result.isErr() && result.error.kind).toBe('StorageUnavailable');
    }
  });
});

describe('a broken database', () => {
  const dir = tempDir();
  const clock = fixedClock();
  const imageId = uuidFor(1, 0xbd);
  let db: BetterSqlite3.Database;
  let store: SqliteStorage;

  beforeEach(async () => {
    db = openDatabase(dir.file(`broken-${Math.random().toString(36).slice(2)}.db`));
    store = createSqliteStorage(db);
    expect((await store.catalog.createImage(sampleImage(imageId), clock.now())).isOk()).toBe(true);
  });

  afterEach(() => {
    if (db.open) db.close();
  });

  afterAll(() => dir.cleanup());

  it('closed: every port method answers StorageFault instead of throwing', async () => {
    db.close();
    const now = clock.now();
    const calls = [
      store.images.findById(imageId),
      store.images.deleteImage(deleteImageRequest({ id: imageId }, now, { jobsDueAt: now, eventId: 'e-1' })),
      store.images.restoreImage(imageId, now),
      store.catalog.createImage(sampleImage(uuidFor(2, 0xbd)), now),
      store.catalog.listImages({}),
      store.catalog.updateImage(imageId, { name: 'x' }, now),
      store.catalog.addMember(imageId, 'p', now),
      store.catalog.attachImageData(imageId, { url: 'file:///x', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'v' }, now),
      store.jobs.claimDue({ now, limit: 1, leaseSeconds: 1 }),
      store.jobs.complete('j', now),
      store.jobs.fail('j', { now, error: 'x', retryAt: now }),
      store.jobs.listJobs({ imageId }),
      store.jobs.requeueDead(now, ['j']),
      store.jobs.counts(),
      store.outbox.claimPending({ now, limit: 1, leaseSeconds: 1 }),
      store.outbox.markDelivered(['e'], now),
      store.outbox.markFailed('e', { now, error: 'x', retryAt: now }),
      store.outbox.listEvents({ delivered: false }),
    ];
    for (const call of calls) {
      const result = await call;
      expect(result.isErr() && result.error.kind).toBe('StorageFault');
    }
    const viaUseCase = await deleteImageUseCase(store.images, clock).execute({ imageId, principal: admin });
    expect(viaUseCase.isErr() && viaUseCase.error.kind).toBe('StorageFault');
  });

  it('a table gone from under the prepared statements: StorageFault and a rolled-back delete', async () => {
    db.exec('ALTER TABLE outbox_events RENAME TO outbox_events_moved');
    const before = dumpTables(db);

    const result = await deleteImageUseCase(store.images, clock).execute({ imageId, principal: admin });

    expect(result.isErr() && result.error.kind).toBe('StorageFault');
    expect(dumpTables(db)).toBe(before);
    expect(db.prepare('SELECT status FROM images WHERE id = ?').pluck().get(imageId)).toBe('active');
  });

  it('a tampered row (location metadata that is not JSON) reads back as a fault, not a crash', async () => {
    db.prepare("UPDATE image_locations SET metadata = 'not json' WHERE image_id = ?").run(imageId);
    const result = await store.images.findById(imageId);
    expect(result.isErr() && result.error.kind).toBe('StorageFault');
  });
});

describe('opening', () => {
  it('a path that cannot be opened throws from openDatabase (a setup error, before any port exists)', () => {
    expect(() => openDatabase('/nonexistent-dir/for/sure/images.db')).toThrow();
  });

  it('a store over an unmigrated database refuses to start, naming the fix', () => {
    const raw = new Database(':memory:');
    try {
      expect(() => createSqliteStorage(raw)).toThrow(/migrate/);
    } finally {
      raw.close();
    }
  });
});
