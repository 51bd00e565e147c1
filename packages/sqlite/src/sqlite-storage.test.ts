// What the SQLite storage adds beyond the shared contract: rows as stored, statements per delete, index use, the module.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { Container } from 'inversify';
import { imageCatalogCoreModule, isoTime, resolve, TOKENS, type ImageDataStore } from '@image-catalog/core';
import { deleteImageRequest } from '@image-catalog/testkit';
import { okAsync } from 'neverthrow';
import { migrate } from './migrations.js';
import { sqliteImageCatalogModule } from './module.js';
import { openDatabase } from './open-database.js';
import { createSqliteStorage, type SqliteStorage } from './sqlite-storage.js';
import { deleteImageUseCase, fixedClock, ownerMember, sampleImage, tempDir, uuidFor } from './test-support/fixtures.js';

describe('createSqliteStorage', () => {
  let db: BetterSqlite3.Database;
  let store: SqliteStorage;
  const clock = fixedClock();

  beforeEach(() => {
    db = openDatabase(':memory:');
    store = createSqliteStorage(db);
  });

  afterEach(() => db.close());

  it('keeps a deleted image readable as it was, without writing a child row: the image row hides them', async () => {
    const id = uuidFor(1);
    const created = (await store.catalog.createImage(sampleImage(id), clock.now()))._unsafeUnwrap();
    const children = dumpChildren(db, id);
    clock.advance(1_000);
    const result = await deleteImageUseCase(store.images, clock).execute({ imageId: id, principal: ownerMember });
    expect(result.isOk()).toBe(true);

    const found = (await store.images.findById(id))._unsafeUnwrap()!;
    expect(found).toEqual({
      ...created,
      status: 'deleted',
      deleted: true,
      deletedAt: clock.now(),
      updatedAt: clock.now(),
      locations: created.locations.map((l) => ({ ...l, status: 'pending_delete' })),
    });
    // Byte for byte as they were: still deleted = 0, locations still stored `active`.
    expect(dumpChildren(db, id)).toEqual(children);
    expect(db.prepare('SELECT status_before_delete FROM images WHERE id = ?').pluck().get(id)).toBe('active');
  });

  it('stores the event payload as Glance notification JSON, ISO times, never a location', async () => {
    const id = uuidFor(2);
    await store.catalog.createImage(sampleImage(id), clock.now());
    await deleteImageUseCase(store.images, clock).execute({ imageId: id, principal: ownerMember });
    const row = db
      .prepare('SELECT type, payload, occurred_at, delivered_at, attempts FROM outbox_events WHERE image_id = ?')
      .get(id) as Record<string, unknown>;
    expect(row).toMatchObject({ type: 'image.delete', occurred_at: clock.now().getTime(), delivered_at: null, attempts: 0 });
    const payload = JSON.parse(row['payload'] as string) as Record<string, unknown>;
    expect(payload).toMatchObject({ id, status: 'deleted', deleted: true, deleted_at: isoTime(clock.now()), tags: ['ubuntu', 'lts'] });
    expect(row['payload']).not.toMatch(/file:|loc-/);
  });

  it('keeps the order of tags, members and locations as created and appended', async () => {
    const id = uuidFor(3);
    await store.catalog.createImage(
      sampleImage(id, { tags: ['zeta', 'alpha', 'mid'], members: [{ memberId: 'z' }, { memberId: 'a' }] }),
      clock.now(),
    );
    await store.catalog.addMember(id, 'm', clock.now());
    await store.catalog.attachImageData(
      id,
      { url: 'file:///late', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'v' },
      clock.now(),
    );
    const image = (await store.images.findById(id))._unsafeUnwrap()!;
    expect(image.tags).toEqual(['zeta', 'alpha', 'mid']);
    expect(image.members.map((m) => m.memberId)).toEqual(['z', 'a', 'm']);
    expect(image.locations.map((l) => l.url)).toEqual([
      `file:///var/lib/images/${id}`,
      `file:///var/lib/images-mirror/${id}`,
      'file:///late',
    ]);
  });

  it('restores the image row and cancels its jobs, dead ones included: the children were never touched', async () => {
    const id = uuidFor(4);
    const created = (await store.catalog.createImage(sampleImage(id), clock.now()))._unsafeUnwrap();
    const children = dumpChildren(db, id);
    const deleted = await deleteImageUseCase(store.images, clock, { delayedDelete: { delaySeconds: 3600 } }).execute({
      imageId: id,
      principal: ownerMember,
    });
    expect(deleted._unsafeUnwrap().status).toBe('pending_delete');
    const [first] = (await store.jobs.listJobs({ imageId: id }))._unsafeUnwrap();
    await store.jobs.fail(first!.id, { now: clock.now(), error: 'refused', retryAt: null });

    clock.advance(5_000);
    const restored = (await store.images.restoreImage(id, clock.now()))._unsafeUnwrap();
    expect(restored).toEqual({ kind: 'Restored', image: { ...created, updatedAt: clock.now() } });
    expect(dumpChildren(db, id)).toEqual(children);
    expect((await store.jobs.listJobs({ imageId: id }))._unsafeUnwrap().map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
    // A dead job must never be requeued for a restored (live) image's data.
    expect((await store.jobs.requeueDead(clock.now()))._unsafeUnwrap()).toBe(0);
  });

  it('writes the same rows and statements for a delete whatever the number of children: image, one job per location, event', async () => {
    const log: string[] = [];
    const traced = new Database(':memory:', { verbose: (sql) => log.push(String(sql)) });
    try {
      migrate(traced);
      const tracedStore = createSqliteStorage(traced);
      const big = uuidFor(5);
      const bare = uuidFor(6);
      await tracedStore.catalog.createImage(manyChildren(big, { properties: 20, tags: 20, members: 10 }), clock.now());
      await tracedStore.catalog.createImage(manyChildren(bare, { properties: 0, tags: 0, members: 0 }), clock.now());
      const changes = () => traced.prepare('SELECT total_changes()').pluck().get() as number;

      const deleteTraced = async (id: string) => {
        const before = changes();
        log.length = 0;
        const outcome = (
          await tracedStore.images.deleteImage(deleteImageRequest({ id }, clock.now(), { jobsDueAt: clock.now(), eventId: `e-${id}` }))
        )._unsafeUnwrap();
        // Each statement by its first words (the log has the values bound in).
        const statements = log.map((sql) => sql.trim().split(/\s+/).slice(0, 3).join(' '));
        return { outcome: outcome.kind, statements, rows: changes() - before };
      };
      const ofBig = await deleteTraced(big);
      const ofBare = await deleteTraced(bare);
      console.log(
        `[sqlite delete cost] 20 properties, 20 tags, 10 members, 1 location: ${ofBig.statements.length} statements, ${ofBig.rows} rows; none: ${ofBare.statements.length} statements, ${ofBare.rows} rows`,
      );
      // BEGIN IMMEDIATE, the read, the image row, one job, the event, COMMIT: 3 rows written.
      expect(ofBig).toMatchObject({ outcome: 'Deleted', rows: 3 });
      expect(ofBig.statements).toEqual([
        'BEGIN IMMEDIATE',
        'SELECT i.id, i.name,',
        'UPDATE images SET',
        'INSERT INTO data_deletion_jobs',
        'INSERT INTO outbox_events',
        'COMMIT',
      ]);
      expect(ofBare).toEqual(ofBig);

      log.length = 0;
      await tracedStore.images.deleteImage(deleteImageRequest({ id: bare }, clock.now(), { jobsDueAt: clock.now(), eventId: 'e-again' }));
      expect(log).toHaveLength(3); // BEGIN, read, COMMIT: a lost race writes nothing
    } finally {
      traced.close();
    }
  });

  it('purges the children of finally deleted images in batches, and restore or a live image never lose any', async () => {
    const gone = uuidFor(8);
    const live = uuidFor(9);
    await store.catalog.createImage(manyChildren(gone, { properties: 20, tags: 20, members: 10 }), clock.now());
    await store.catalog.createImage(manyChildren(live, { properties: 20, tags: 20, members: 10 }), clock.now());
    const outcome = (
      await store.images.deleteImage(deleteImageRequest({ id: gone }, clock.now(), { jobsDueAt: clock.now() }))
    )._unsafeUnwrap();
    if (outcome.kind !== 'Deleted') expect.fail(outcome.kind);
    for (const job of outcome.jobs) (await store.jobs.complete(job.id, clock.now()))._unsafeUnwrap();
    const liveChildren = dumpChildren(db, live);

    const batches: number[] = [];
    for (let n = -1; n !== 0;)
      batches.push((n = (await store.jobs.purgeDeletedChildren({ olderThan: clock.now(), limit: 15 }))._unsafeUnwrap()));
    expect(batches).toEqual([15, 15, 15, 6, 0]);
    expect(dumpChildren(db, gone)).toEqual({ image_properties: [], image_tags: [], image_members: [], image_locations: [] });
    expect(dumpChildren(db, live)).toEqual(liveChildren);
    expect(db.prepare('SELECT children_purged FROM images WHERE id = ?').pluck().all(gone)).toEqual([1]);
  });

  it('a purge with nothing to do never takes the write lock: it answers 0 at once while another connection writes', async () => {
    const dir = tempDir();
    const file = dir.file('purge-lock.db');
    const mine = openDatabase(file);
    const other = new Database(file);
    try {
      const purging = createSqliteStorage(mine, { lockWaitMs: 2_000 });
      other.exec('BEGIN IMMEDIATE');
      const started = performance.now();
      expect((await purging.jobs.purgeDeletedChildren({ olderThan: clock.now(), limit: 100 }))._unsafeUnwrap()).toBe(0);
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      mine.close();
      dir.cleanup();
    }
  });

  it('serves its queries from indexes, never by scanning a whole table', () => {
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    const scans = (detail: string) => /\bSCAN \w+\b(?! USING (COVERING )?INDEX)/.test(detail);
    // The detector itself works: an unindexed filter is a full scan.
    expect(scans(plan("SELECT id FROM images WHERE owner = 'x'"))).toBe(true);
    const queries = [
      "SELECT id FROM images i WHERE i.deleted = 0 AND i.status NOT IN ('deleted','pending_delete') ORDER BY i.created_at, i.seq LIMIT 10",
      "SELECT id FROM images i WHERE i.deleted = 0 AND i.status NOT IN ('deleted','pending_delete') AND i.name = 'x' ORDER BY i.created_at, i.seq",
      "SELECT seq FROM data_deletion_jobs WHERE state = 'queued' AND available_at <= 5 ORDER BY created_at, seq LIMIT 3",
      'SELECT seq FROM outbox_events WHERE delivered_at IS NULL AND available_at <= 5 ORDER BY seq LIMIT 3',
      "SELECT seq FROM data_deletion_jobs WHERE image_id = 'x'",
      "SELECT seq FROM outbox_events WHERE image_id = 'x'",
      "SELECT value FROM image_tags WHERE image_id = 'x'",
      "SELECT 1 FROM image_locations WHERE image_id = 'x' AND id = 'y'",
      "SELECT 1 FROM data_deletion_jobs WHERE id = 'x'",
      "SELECT 1 FROM outbox_events WHERE id = 'x'",
      // The purge's pick: only the deleted images still to purge, by the partial index.
      "SELECT id FROM images WHERE status = 'deleted' AND children_purged = 0 AND deleted_at <= 5 ORDER BY deleted_at, seq LIMIT 10",
      "DELETE FROM image_tags WHERE (image_id, value) IN (SELECT image_id, value FROM image_tags WHERE image_id IN ('x', 'y') LIMIT 3)",
    ];
    for (const sql of queries) expect(scans(plan(sql)), `${sql}\n${plan(sql)}`).toBe(false);
  });
});

/** The child rows of one image as stored, table by table. */
function dumpChildren(db: BetterSqlite3.Database, imageId: string): Record<string, unknown[]> {
  const tables = ['image_properties', 'image_tags', 'image_members', 'image_locations'];
  return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} WHERE image_id = ? ORDER BY position`).all(imageId)]));
}

/** `sampleImage` with this many properties, tags and members, and one location. */
function manyChildren(id: string, counts: { properties: number; tags: number; members: number }) {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return sampleImage(id, {
    properties: Object.fromEntries(range(counts.properties).map((i) => [`property_${i}`, `value ${i}`])),
    tags: range(counts.tags).map((i) => `tag-${i}`),
    members: range(counts.members).map((i) => ({ memberId: `project-${i}`, status: 'accepted' as const })),
    locations: [{ url: `file:///var/lib/images/${id}` }],
  });
}

describe('sqliteImageCatalogModule', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('binds the four storage ports over one connection, and DeleteImage resolves and deletes through them', async () => {
    const db = openDatabase(dir.file('module.db'));
    try {
      const container = new Container();
      const dataStore: ImageDataStore = { delete: () => okAsync(undefined) };
      container.bind(TOKENS.ImageDataStore).toConstantValue(dataStore);
      container.load(sqliteImageCatalogModule(db), imageCatalogCoreModule);

      // Constants: every resolve answers the same port object.
      for (const token of [TOKENS.ImageRepository, TOKENS.ImageCatalog, TOKENS.DataDeletionJobQueue, TOKENS.EventOutbox]) {
        expect(container.get(token)).toBe(container.get(token));
      }

      const id = uuidFor(7);
      await resolve(container, TOKENS.ImageCatalog).createImage(sampleImage(id), new Date());
      const deleted = await resolve(container, TOKENS.DeleteImage).execute({ imageId: id, principal: ownerMember });
      // Immediate mode: the data store said the data is gone, so both jobs are done, inline.
      expect(deleted._unsafeUnwrap()).toMatchObject({ status: 'deleted', dataDeletionJobs: 2, inlineDataDeletion: { done: 2 } });
      expect(db.prepare('SELECT state, count(*) AS n FROM data_deletion_jobs GROUP BY state').all()).toEqual([{ state: 'done', n: 2 }]);
      expect(db.prepare('SELECT DISTINCT status FROM image_locations WHERE image_id = ?').pluck().all(id)).toEqual(['deleted']);
      // The queue and the outbox bound by the module read what the delete committed: one database.
      expect((await resolve(container, TOKENS.DataDeletionJobQueue).listJobs({ imageId: id }))._unsafeUnwrap().map((j) => j.state)).toEqual(
        ['done', 'done'],
      );
      expect((await resolve(container, TOKENS.EventOutbox).listEvents({ imageId: id }))._unsafeUnwrap()).toHaveLength(1);

      // The core's start() starts the storage's checkpointer, and stop() stops it.
      const core = resolve(container, TOKENS.ImageCatalogCore);
      core.start();
      expect(resolve(container, TOKENS.StorageBackgroundWork)).toMatchObject({ running: true });
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      await core.stop();
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    } finally {
      db.close();
    }
  });
});
