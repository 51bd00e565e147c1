// Migrations apply once, in order, whoever runs them and however many processes start at once.
import { afterAll, describe, expect, it } from 'vitest';
import { expectChildrenReadThroughTheirImage } from '@image-catalog/testkit';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, pendingMigrations, type Migration } from './migrations.js';
import { openDatabase } from './open-database.js';
import { createSqliteStorage } from './sqlite-storage.js';
import { dumpTables, tempDir } from './test-support/fixtures.js';
import { runWorkers } from './test-support/spawn-workers.js';

describe('migrate', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('is idempotent: a second run applies nothing and changes nothing', () => {
    const db = new Database(':memory:');
    try {
      expect(migrate(db)).toEqual({ applied: MIGRATIONS.map((m) => m.version), version: MIGRATIONS.at(-1)!.version });
      const after = dumpTables(db);
      const schema = db.prepare('SELECT sql FROM sqlite_master ORDER BY name').pluck().all();
      expect(migrate(db)).toEqual({ applied: [], version: MIGRATIONS.at(-1)!.version });
      expect(dumpTables(db)).toBe(after);
      expect(db.prepare('SELECT sql FROM sqlite_master ORDER BY name').pluck().all()).toEqual(schema);
      expect(pendingMigrations(db)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('applies appended migrations later, each once, and rolls a failing one back entirely', () => {
    const db = new Database(':memory:');
    try {
      migrate(db);
      const next: Migration = {
        version: MIGRATIONS.at(-1)!.version + 1,
        name: 'add a column',
        up: 'ALTER TABLE images ADD COLUMN extra TEXT;',
      };
      const broken: Migration = {
        version: next.version + 1,
        name: 'broken',
        up: 'CREATE TABLE half_done (x); SELECT * FROM no_such_table;',
      };
      expect(() => migrate(db, [...MIGRATIONS, next, broken])).toThrow(/no_such_table/);
      // The good one stuck, the broken one left nothing behind and is still pending.
      expect(pendingMigrations(db, [...MIGRATIONS, next, broken]).map((m) => m.version)).toEqual([broken.version]);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
      expect(db.prepare("SELECT count(*) FROM pragma_table_info('images') WHERE name = 'extra'").pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('version 2 adds data_deletion_jobs.claimed_at and marks jobs a scrubber had handed out before the upgrade', async () => {
    const db = new Database(':memory:');
    try {
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version === 1),
      );
      const created = 1_000;
      const later = 5_000;
      const image = db.prepare(
        "INSERT INTO images (id, status, status_before_delete, visibility, created_at, updated_at, deleted, deleted_at) VALUES (?, 'pending_delete', 'active', 'private', 0, ?, 1, ?)",
      );
      const job = db.prepare(
        "INSERT INTO data_deletion_jobs (id, image_id, location_id, url, state, attempts, available_at, created_at, updated_at) VALUES (?, ?, 'loc', 'memory://x/y', ?, ?, 0, ?, ?)",
      );
      image.run('claimed-image', created, created);
      image.run('untouched-image', created, created);
      const rows: [string, string, string, number, number][] = [
        ['fresh', 'untouched-image', 'queued', 0, created],
        ['claimed', 'claimed-image', 'queued', 0, later],
        ['retrying', 'claimed-image', 'queued', 1, later],
        ['dead', 'claimed-image', 'dead', 3, later],
        ['done', 'claimed-image', 'done', 0, later],
        ['cancelled', 'untouched-image', 'cancelled', 0, later],
      ];
      for (const [id, imageId, state, attempts, updatedAt] of rows) job.run(id, imageId, state, attempts, created, updatedAt);

      expect(
        migrate(
          db,
          MIGRATIONS.filter((m) => m.version <= 2),
        ),
      ).toEqual({ applied: [2], version: 2 });
      expect(db.prepare("SELECT type, \"notnull\" FROM pragma_table_info('data_deletion_jobs') WHERE name = 'claimed_at'").get()).toEqual({
        type: 'INTEGER',
        notnull: 0,
      });
      migrate(db);
      expect(db.prepare('SELECT id, claimed_at FROM data_deletion_jobs ORDER BY seq').all()).toEqual([
        { id: 'fresh', claimed_at: null },
        { id: 'claimed', claimed_at: later },
        { id: 'retrying', claimed_at: later },
        { id: 'dead', claimed_at: later },
        { id: 'done', claimed_at: null },
        { id: 'cancelled', claimed_at: null },
      ]);
      // An image whose job was handed out before the upgrade can no longer be restored.
      const store = createSqliteStorage(db);
      expect((await store.images.restoreImage('claimed-image', new Date(later + 1)))._unsafeUnwrap()).toEqual({
        kind: 'DataAlreadyDeleted',
      });
      expect((await store.images.restoreImage('untouched-image', new Date(later + 1)))._unsafeUnwrap().kind).toBe('Restored');
    } finally {
      db.close();
    }
  });

  it('version 3 turns the children an older delete soft-deleted back into plain rows: they read as before, restore and purge work on them', async () => {
    const db = new Database(':memory:');
    try {
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version <= 2),
      );
      const at = 7_000;
      const image = db.prepare(
        "INSERT INTO images (id, status, status_before_delete, visibility, created_at, updated_at, deleted, deleted_at) VALUES (?, ?, ?, 'private', 0, ?, ?, ?)",
      );
      image.run('live', 'active', null, 0, 0, null);
      image.run('gone', 'deleted', 'active', at, 1, at);
      image.run('pending', 'pending_delete', 'active', at, 1, at);
      // As versions 1 and 2 wrote a delete: every child soft-deleted with the image's deleted_at, active locations pending_delete.
      for (const [id, deleted, deletedAt, locationStatus] of [
        ['live', 0, null, 'active'],
        ['gone', 1, at, 'deleted'],
        ['pending', 1, at, 'pending_delete'],
      ] as const) {
        db.prepare('INSERT INTO image_tags (image_id, value, position, deleted, deleted_at) VALUES (?, ?, 0, ?, ?)').run(
          id,
          'tag',
          deleted,
          deletedAt,
        );
        db.prepare('INSERT INTO image_properties (image_id, name, value, position, deleted, deleted_at) VALUES (?, ?, ?, 0, ?, ?)').run(
          id,
          'k',
          'v',
          deleted,
          deletedAt,
        );
        db.prepare(
          "INSERT INTO image_members (image_id, member_id, status, position, created_at, updated_at, deleted, deleted_at) VALUES (?, 'm', 'accepted', 0, 0, 0, ?, ?)",
        ).run(id, deleted, deletedAt);
        db.prepare(
          "INSERT INTO image_locations (image_id, id, url, status, position, deleted, deleted_at) VALUES (?, 'l', 'memory://x', ?, 0, ?, ?)",
        ).run(id, locationStatus, deleted, deletedAt);
      }
      db.prepare(
        "INSERT INTO data_deletion_jobs (id, image_id, location_id, url, state, available_at, created_at, updated_at) VALUES ('j-gone', 'gone', 'l', 'memory://x', 'done', 0, 0, 0)",
      ).run();
      db.prepare(
        "INSERT INTO data_deletion_jobs (id, image_id, location_id, url, state, available_at, created_at, updated_at) VALUES ('j-pending', 'pending', 'l', 'memory://x', 'queued', 0, 0, 0)",
      ).run();

      expect(migrate(db).applied).toEqual(MIGRATIONS.filter((m) => m.version >= 3).map((m) => m.version));
      for (const table of ['image_tags', 'image_properties', 'image_members', 'image_locations']) {
        expect(db.prepare(`SELECT DISTINCT deleted, deleted_at FROM ${table}`).all()).toEqual([{ deleted: 0, deleted_at: null }]);
      }
      expect(db.prepare('SELECT image_id, status FROM image_locations ORDER BY image_id').all()).toEqual([
        { image_id: 'gone', status: 'deleted' },
        { image_id: 'live', status: 'active' },
        { image_id: 'pending', status: 'active' },
      ]);

      const store = createSqliteStorage(db);
      await expectChildrenReadThroughTheirImage(store, { deletedAt: new Date(at), memberTime: new Date(0) });
    } finally {
      db.close();
    }
  });

  it('refuses a list that is out of order', () => {
    const db = new Database(':memory:');
    try {
      expect(() =>
        migrate(db, [
          { version: 2, name: 'b', up: '' },
          { version: 1, name: 'a', up: '' },
        ]),
      ).toThrow(RangeError);
    } finally {
      db.close();
    }
  });

  it('openDatabase configures WAL, the busy timeout, foreign keys and synchronous', () => {
    const normal = openDatabase(dir.file('pragmas.db'));
    const durable = openDatabase(dir.file('pragmas.db'), { synchronous: 'FULL', busyTimeoutMs: 1234 });
    try {
      expect(normal.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(normal.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(normal.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(normal.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(durable.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(durable.pragma('busy_timeout', { simple: true })).toBe(1234);
    } finally {
      normal.close();
      durable.close();
    }
  });

  it('two connections opening one new file one after the other migrate it once', () => {
    const path = dir.file('twice.db');
    const a = openDatabase(path);
    const b = openDatabase(path);
    try {
      expect(b.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
    } finally {
      a.close();
      b.close();
    }
  });

  it('four processes opening the same new file at the same moment: each migration applied exactly once', async () => {
    const dbPath = dir.file('race.db');
    const results = await runWorkers(
      Array.from({ length: 4 }, (_, p) => ({ mode: 'open' as const, dbPath, seed: p, busyTimeoutMs: 5_000 })),
    );
    // Each version was applied by exactly one process; the others found it done inside their own transaction.
    const appliedBy = results.flatMap((r) => r.migrationsApplied).sort((a, b) => a - b);
    expect(appliedBy).toEqual(MIGRATIONS.map((m) => m.version));
    const db = openDatabase(dbPath);
    try {
      const rows = db.prepare('SELECT version, count(*) AS n FROM schema_migrations GROUP BY version').all();
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  }, 60_000);
});
