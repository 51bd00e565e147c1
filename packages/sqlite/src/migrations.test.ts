// Migrations apply once, in order, whoever runs them and however many processes start at once.
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, pendingMigrations, type Migration } from './migrations.js';
import { openDatabase } from './open-database.js';
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
      const next: Migration = { version: MIGRATIONS.at(-1)!.version + 1, name: 'add a column', up: 'ALTER TABLE images ADD COLUMN extra TEXT;' };
      const broken: Migration = { version: next.version + 1, name: 'broken', up: 'CREATE TABLE half_done (x); SELECT * FROM no_such_table;' };
      expect(() => migrate(db, [...MIGRATIONS, next, broken])).toThrow(/no_such_table/);
      // The good one stuck, the broken one left nothing behind and is still pending.
      expect(pendingMigrations(db, [...MIGRATIONS, next, broken]).map((m) => m.version)).toEqual([broken.version]);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
      expect(db.prepare("SELECT count(*) FROM pragma_table_info('images') WHERE name = 'extra'").pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('refuses a list that is out of order', () => {
    const db = new Database(':memory:');
    try {
      expect(() => migrate(db, [{ version: 2, name: 'b', up: '' }, { version: 1, name: 'a', up: '' }])).toThrow(RangeError);
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
    const results = await runWorkers(Array.from({ length: 4 }, (_, p) => ({ mode: 'open' as const, dbPath, seed: p, busyTimeoutMs: 5_000 })));
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
