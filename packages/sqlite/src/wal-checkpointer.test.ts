// The WAL checkpointer: commits stop checkpointing, its worker does it, the size bound restarts the log, nothing waits for a lock, stop() is clean.
import { existsSync, renameSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createImageCatalogCore, type Logger } from '@image-catalog/core';
import { runProcess, TYPESCRIPT_SOURCE_EXEC_ARGV } from '@image-catalog/testkit/process';
import { openDatabase } from './open-database.js';
import { createSqliteStorage, type SqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js';
import { deleteImageUseCase, fixedClock, ownerMember, sampleImage, tempDir, uuidFor } from './test-support/fixtures.js';
import { WalCheckpointer, type CheckpointReport } from './wal-checkpointer.js';

/** SQLite's default automatic checkpoint: a commit that takes the WAL past this many pages checkpoints. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

function recordingLogger(): { logger: Logger; entries: { level: keyof Logger; msg: string | undefined }[] } {
  const entries: { level: keyof Logger; msg: string | undefined }[] = [];
  const at = (level: keyof Logger) => (_obj: object, msg?: string) => void entries.push({ level, msg });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

let dir: ReturnType<typeof tempDir>;
let db: BetterSqlite3.Database;
let storage: SqliteStorage;
let seeded = 0;

function open(options: SqliteStorageOptions = {}): void {
  db = openDatabase(dir.file('images.db'));
  storage = createSqliteStorage(db, options);
}

/** Creates `count` images: each is one transaction of a few pages, so the WAL grows. */
async function write(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = uuidFor(++seeded);
    (await storage.catalog.createImage(sampleImage(id), new Date()))._unsafeUnwrap();
    ids.push(id);
  }
  return ids;
}

async function checkpoint(): Promise<CheckpointReport> {
  const report = (await storage.background.checkpointOnce())._unsafeUnwrap();
  if (report === null) throw new Error('the checkpointer is not enabled');
  return report;
}

const walSize = () => statSync(`${db.name}-wal`).size;
const pageSize = () => Number(db.pragma('page_size', { simple: true }));

beforeEach(() => {
  dir = tempDir('image-catalog-checkpoint-');
  seeded = 0;
});

afterEach(async () => {
  await storage.background.stop();
  if (db.open) db.close();
  dir.cleanup();
});

describe('WalCheckpointer: checkpoints leave the commits', () => {
  it('start() turns automatic checkpoints off: the WAL grows past 1000 pages until a run checkpoints it', async () => {
    open({ checkpoint: { intervalMs: 60_000 } }); // only the run at start(), then runs the test asks for
    expect(storage.background.enabled).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SQLITE_AUTOCHECKPOINT_PAGES);
    storage.background.start({ logger: recordingLogger().logger });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await checkpoint(); // the run start() began, so the WAL starts empty

    await write(300);
    // Without the checkpointer a commit would have checkpointed at 1000 pages and the log started over.
    expect(walSize()).toBeGreaterThan(SQLITE_AUTOCHECKPOINT_PAGES * pageSize());
    const report = await checkpoint();
    expect(report.passive.busy).toBe(false);
    expect(report.passive.walFrames).toBeGreaterThan(SQLITE_AUTOCHECKPOINT_PAGES);
    expect(report.passive.checkpointedFrames).toBe(report.passive.walFrames);
    expect(report.restart).toBeNull(); // far below 64 MiB

    // Everything was copied, so the next commit starts the log over: the next run finds only its frames.
    await write(1);
    const next = await checkpoint();
    expect(next.passive.walFrames).toBeGreaterThan(0);
    expect(next.passive.walFrames).toBeLessThan(50);

    // What was committed is in the database file: a connection that reads it alone (no WAL) sees every image.
    const size = walSize();
    await storage.background.stop();
    db.close();
    expect(size).toBeGreaterThan(0);
    const copy = new Database(dir.file('images.db'), { readonly: true });
    try {
      expect(copy.prepare('SELECT count(*) FROM images').pluck().get()).toBe(301);
    } finally {
      copy.close();
    }
  });

  it('past maxWalBytes a run restarts the log: the WAL file stops growing', async () => {
    open({ checkpoint: { intervalMs: 60_000, maxWalBytes: 256 * 1024 } });
    storage.background.start({ logger: recordingLogger().logger });
    await checkpoint();

    await write(100);
    const report = await checkpoint();
    expect(report.walBytes).toBeGreaterThan(256 * 1024);
    expect(report.restart).toEqual({ busy: false, walFrames: report.passive.walFrames, checkpointedFrames: report.passive.walFrames });
    const sizeAfterRestart = walSize();

    // The log started over at the first commit after the restart: as many writes again take about as
    // many frames, written over the old ones, where a log that went on would have doubled.
    await write(100);
    const again = await checkpoint();
    expect(again.passive.walFrames).toBeLessThan(1.5 * report.passive.walFrames);
    expect(walSize()).toBeLessThan(1.5 * sizeAfterRestart);
  });

  it('below maxWalBytes there is no RESTART', async () => {
    open({ checkpoint: { intervalMs: 60_000, maxWalBytes: 1024 * 1024 * 1024 } });
    await write(50);
    expect((await checkpoint()).restart).toBeNull();
  });
});

describe('WalCheckpointer: nothing waits for a lock', () => {
  it('a read transaction held on another connection: the run answers busy at once, a delete right after needs no lock wait', async () => {
    // lockWaitMs 0: a delete that found the write lock held would answer StorageUnavailable instead of waiting.
    open({ lockWaitMs: 0, checkpoint: { intervalMs: 60_000, maxWalBytes: 0 } });
    const { logger, entries } = recordingLogger();
    storage.background.start({ logger });
    await checkpoint();
    const ids = await write(20);

    const reader = new Database(dir.file('images.db'), { readonly: true });
    try {
      reader.exec('BEGIN');
      const seen = reader.prepare('SELECT count(*) FROM images').pluck().get();
      await write(20); // committed after the reader's snapshot: they cannot be copied while it reads

      // The reader is still in its transaction: a checkpoint that waited for it would never come back.
      const pinned = await checkpoint();
      expect(pinned.passive.checkpointedFrames).toBeLessThan(pinned.passive.walFrames);
      expect(pinned.restart?.busy).toBe(true);

      const clock = fixedClock();
      const deletes = await Promise.all(
        ids.slice(0, 10).map((imageId) => deleteImageUseCase(storage.images, clock).execute({ imageId, principal: ownerMember })),
      );
      expect(deletes.map((r) => (r.isOk() ? 'deleted' : r.error.kind))).toEqual(Array(10).fill('deleted'));
      // And the checkpointer holds no lock between runs.
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      expect(reader.prepare('SELECT count(*) FROM images').pluck().get()).toBe(seen);
      reader.exec('COMMIT');
    } finally {
      reader.close();
    }

    const freed = await checkpoint();
    expect(freed.restart).toMatchObject({ busy: false });
    expect(freed.passive.checkpointedFrames).toBe(freed.passive.walFrames);
    expect(entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('deletes running while the worker checkpoints all commit, none waiting for a lock', async () => {
    open({ lockWaitMs: 0, checkpoint: { intervalMs: 60_000 } });
    storage.background.start({ logger: recordingLogger().logger });
    const ids = await write(200);
    const running = storage.background.checkpointOnce();
    const clock = fixedClock();
    const outcomes = [];
    for (const imageId of ids) outcomes.push(await deleteImageUseCase(storage.images, clock).execute({ imageId, principal: ownerMember }));
    expect((await running).isOk()).toBe(true);
    expect(outcomes.filter((r) => r.isErr())).toEqual([]);
  });
});

describe('WalCheckpointer: start and stop', () => {
  it('stop() waits for the run in flight, closes the worker’s connection and gives the automatic checkpoints back', async () => {
    open({ checkpoint: { intervalMs: 60_000 } });
    storage.background.start({ logger: recordingLogger().logger });
    storage.background.start({ logger: recordingLogger().logger }); // a second start does nothing
    await write(50);
    const inFlight = storage.background.checkpointOnce();
    await storage.background.stop();
    expect(storage.background.running).toBe(false);
    const report = await inFlight;
    expect(report.isOk()).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SQLITE_AUTOCHECKPOINT_PAGES);

    // With the worker's connection closed, ours is the last one: closing it checkpoints and removes the WAL.
    db.close();
    expect(existsSync(dir.file('images.db-wal'))).toBe(false);
  });

  it('createImageCatalogCore starts it with the loops and stops it with them', async () => {
    open();
    const core = createImageCatalogCore({ storage, dataStore: { delete: () => undefined as never } });
    core.start();
    expect(storage.background.running).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await core.stop();
    expect(storage.background.running).toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(SQLITE_AUTOCHECKPOINT_PAGES);
  });

  it('a checkpointer started and never stopped does not keep the process alive', async () => {
    open();
    db.close();
    const child = fileURLToPath(new URL('./test-support/checkpointer-child.ts', import.meta.url));
    const outcome = await runProcess(process.execPath, [...TYPESCRIPT_SOURCE_EXEC_ARGV, child, dir.file('images.db')], {
      timeoutMs: 30_000,
    });
    expect(outcome.stderr).toBe('');
    expect(outcome.stdout).toBe('checkpointed running=true\n');
    expect(outcome.code).toBe(0);
  });

  it('a failure is logged once and answered as a StorageError, never thrown; the next good run says so', async () => {
    open({ checkpoint: { intervalMs: 60_000 } });
    const { logger, entries } = recordingLogger();
    storage.background.start({ logger });
    await storage.background.stop(); // no worker: the next run starts one, which opens the file by name
    storage.background.start({ logger });
    await storage.background.checkpointOnce();
    await storage.background.stop();
    entries.length = 0;

    renameSync(dir.file('images.db'), dir.file('moved.db'));
    const failed = [await storage.background.checkpointOnce(), await storage.background.checkpointOnce()];
    await storage.background.stop(); // the worker that could not open the file
    expect(failed.map((r) => (r.isErr() ? r.error.kind : 'ok'))).toEqual(['StorageUnavailable', 'StorageUnavailable']);
    expect(entries.filter((e) => e.level === 'error').map((e) => e.msg)).toEqual([
      'sqlite checkpointer: checkpoint failed; retrying every interval',
    ]);

    renameSync(dir.file('moved.db'), dir.file('images.db'));
    expect((await storage.background.checkpointOnce()).isOk()).toBe(true);
    expect(entries.at(-1)?.msg).toBe('sqlite checkpointer: checkpoints work again');
  });
});

describe('WalCheckpointer: databases without a WAL file to checkpoint', () => {
  it.each([
    ['an in-memory database', () => new Database(':memory:')],
    ['a read-only connection', () => new Database(dir.file('images.db'), { readonly: true })],
  ])('%s: does nothing and leaves the automatic checkpoints alone', async (_name, connect) => {
    open();
    const other = connect();
    try {
      const background = new WalCheckpointer(other);
      expect(background.enabled).toBe(false);
      expect(background.skippedBecause).toMatch(/in-memory|read-only/);
      const before = other.pragma('wal_autocheckpoint', { simple: true });
      background.start({ logger: recordingLogger().logger });
      expect(background.running).toBe(false);
      expect((await background.checkpointOnce())._unsafeUnwrap()).toBeNull();
      await background.stop();
      expect(other.pragma('wal_autocheckpoint', { simple: true })).toBe(before);
    } finally {
      other.close();
    }
  });

  it('checkpoint: false turns it off', () => {
    open({ checkpoint: false });
    expect(storage.background.enabled).toBe(false);
    expect(storage.background.skippedBecause).toBe('turned off (checkpoint: false)');
  });

  it.each([{ intervalMs: 0 }, { intervalMs: Number.NaN }, { maxWalBytes: -1 }, { maxWalBytes: 1.5 }])(
    'refuses nonsensical options %o',
    (checkpoint) => {
      open();
      expect(() => createSqliteStorage(db, { checkpoint })).toThrow(RangeError);
    },
  );
});
