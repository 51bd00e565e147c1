// Migrations: versioned, idempotent, re-runnable after a failure, and applied once when many pools or processes start together.
import { afterEach, describe, expect, it } from 'vitest';
import { expectChildrenReadThroughTheirImage } from '@image-catalog/testkit';
import { appliedVersions, migrate, MIGRATIONS, pendingMigrations, type MysqlMigration } from './migrations.js';
import type { MysqlPool } from './mysql-connection.js';
import { openMysqlStorage, SchemaNotCurrentError } from './open-mysql-storage.js';
import { unsupportedServer } from './server-version.js';
import { runWorkers } from './test-support/spawn-workers.js';
import { createTestDatabase, mysqlUnreachable, skipNote, testPool, type TestDatabase } from './test-support/test-database.js';

const untouchable: MysqlPool = { getConnection: () => Promise.reject(new Error('touched')) };
const ALL = MIGRATIONS.map((m) => m.version);
const LATEST = MIGRATIONS.at(-1)!.version;

describe('migration and store options', () => {
  it('refuses migrations out of order before touching the database', async () => {
    const v1 = MIGRATIONS[0];
    if (v1 === undefined) throw new Error('no migrations');
    await expect(migrate(untouchable, { migrations: [{ ...v1, version: 2 }, v1] })).rejects.toBeInstanceOf(RangeError);
    await expect(migrate(untouchable, { migrations: [{ ...v1, version: 0 }] })).rejects.toBeInstanceOf(RangeError);
  });

  it.each([{ retryAfterSeconds: 0 }, { lockWaitTimeoutSeconds: 1.5 }, { acquireTimeoutMs: -1 }])(
    'refuses %j before touching the database',
    async (options) => {
      await expect(openMysqlStorage(untouchable, options)).rejects.toBeInstanceOf(RangeError);
    },
  );

  it.each([
    ['10.11.19-MariaDB-0+deb12u1', null],
    ['10.6.0-MariaDB', null],
    ['11.4.2-MariaDB-log', null],
    ['10.5.27-MariaDB', /MariaDB 10\.6 or later; this server is 10\.5\.27/],
    ['8.0.36', /this server is 8\.0\.36 \(MySQL has no ORDER BY in JSON_ARRAYAGG\)/],
  ] as const)('server %s: %s', (version, expected) => {
    const problem = unsupportedServer(version);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe.skipIf(mysqlUnreachable !== null)(`mysql: migrations${skipNote}`, () => {
  let db: TestDatabase | undefined;
  const fresh = async () => (db = await createTestDatabase({ migrate: false }));
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  const tables = async ({ pool }: TestDatabase) =>
    (
      (await pool.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()'))[0] as {
        name: string;
      }[]
    )
      .map((r) => r.name)
      .sort();

  it('creates every table once (InnoDB, utf8mb4_nopad_bin); running again applies nothing', async () => {
    const created = await fresh();
    const { pool } = created;
    expect(await appliedVersions(pool)).toEqual([]);
    expect((await pendingMigrations(pool)).map((m) => m.version)).toEqual(ALL);

    expect(await migrate(pool)).toEqual({ applied: ALL, version: LATEST });
    expect(await tables(created)).toEqual(
      [
        'data_deletion_jobs',
        'image_locations',
        'image_members',
        'image_properties',
        'image_tags',
        'images',
        'outbox_events',
        'project_quota_locks',
        'schema_migrations',
      ].sort(),
    );
    const [engines] = await pool.query(
      'SELECT DISTINCT engine, table_collation AS collation FROM information_schema.tables WHERE table_schema = DATABASE()',
    );
    expect(engines).toEqual([{ engine: 'InnoDB', collation: 'utf8mb4_nopad_bin' }]);
    // Every text column too: a JSON column defaults to utf8mb4_bin, which JSON_ARRAY refuses to mix with the rest.
    const [columnCollations] = await pool.query(
      'SELECT DISTINCT collation_name AS collation FROM information_schema.columns WHERE table_schema = DATABASE() AND collation_name IS NOT NULL',
    );
    expect(columnCollations).toEqual([{ collation: 'utf8mb4_nopad_bin' }]);

    expect(await migrate(pool)).toEqual({ applied: [], version: LATEST });
    expect(await appliedVersions(pool)).toEqual(ALL);
    expect(await pendingMigrations(pool)).toEqual([]);
  });

  it('applies only what is missing: a database at the latest version gets a later one', async () => {
    const { pool } = await fresh();
    await migrate(pool);
    const next: MysqlMigration = {
      version: LATEST + 1,
      name: 'an index',
      up: ['CREATE INDEX IF NOT EXISTS images_by_owner ON images (owner)'],
    };
    expect((await pendingMigrations(pool, [...MIGRATIONS, next])).map((m) => m.version)).toEqual([next.version]);
    expect(await migrate(pool, { migrations: [...MIGRATIONS, next] })).toEqual({ applied: [next.version], version: next.version });
    const [indexes] = await pool.query(
      "SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = 'images_by_owner'",
    );
    expect(indexes).toHaveLength(1);
  });

  it('a migration failing half-way is not recorded, and applying it again (fixed) completes it: every statement re-runnable', async () => {
    const created = await fresh();
    const { pool } = created;
    const halfDone = 'CREATE TABLE IF NOT EXISTS half_done (x INT) ENGINE=InnoDB';
    const broken: MysqlMigration = { version: LATEST + 1, name: 'broken', up: [halfDone, 'ALTER TABLE no_such_table ADD COLUMN y INT'] };
    await expect(migrate(pool, { migrations: [...MIGRATIONS, broken] })).rejects.toMatchObject({ errno: 1146 });
    // MariaDB commits DDL as it goes: the earlier versions and the first statement of the broken one stayed.
    expect(await appliedVersions(pool)).toEqual(ALL);
    expect(await tables(created)).toContain('half_done');
    const fixed: MysqlMigration = { ...broken, up: [halfDone, 'ALTER TABLE half_done ADD COLUMN IF NOT EXISTS y INT'] };
    expect(await migrate(pool, { migrations: [...MIGRATIONS, fixed] })).toEqual({ applied: [fixed.version], version: fixed.version });
    // And the lock was released on failure: another connection can migrate at once.
    expect(await migrate(pool, { migrations: [...MIGRATIONS, fixed], lockTimeoutSeconds: 1 })).toEqual({
      applied: [],
      version: fixed.version,
    });
  });

  it('version 2 turns the children a version 1 delete soft-deleted back into plain rows: they read as before, restore and purge work on them', async () => {
    const { pool } = await fresh();
    await migrate(pool, { migrations: MIGRATIONS.slice(0, 1) });
    const at = 7_000;
    const image = `INSERT INTO images (id, status, status_before_delete, visibility, created_at, updated_at, deleted, deleted_at) VALUES (?, ?, 'active', 'private', 0, ?, ?, ?)`;
    await pool.query(image, ['live', 'active', 0, false, null]);
    await pool.query(image, ['gone', 'deleted', at, true, at]);
    await pool.query(image, ['pending', 'pending_delete', at, true, at]);
    // As version 1 wrote a delete: every child soft-deleted with the image's deleted_at, active locations pending_delete.
    for (const [id, deleted, deletedAt, locationStatus] of [
      ['live', false, null, 'active'],
      ['gone', true, at, 'deleted'],
      ['pending', true, at, 'pending_delete'],
    ] as const) {
      await pool.query('INSERT INTO image_tags (image_id, value, position, deleted, deleted_at) VALUES (?, ?, 0, ?, ?)', [
        id,
        'tag',
        deleted,
        deletedAt,
      ]);
      await pool.query('INSERT INTO image_properties (image_id, name, value, position, deleted, deleted_at) VALUES (?, ?, ?, 0, ?, ?)', [
        id,
        'k',
        'v',
        deleted,
        deletedAt,
      ]);
      await pool.query(
        "INSERT INTO image_members (image_id, member_id, status, position, created_at, updated_at, deleted, deleted_at) VALUES (?, 'm', 'accepted', 0, 0, 0, ?, ?)",
        [id, deleted, deletedAt],
      );
      await pool.query(
        "INSERT INTO image_locations (image_id, id, url, metadata, status, position, deleted, deleted_at) VALUES (?, 'l', 'memory://x', '{}', ?, 0, ?, ?)",
        [id, locationStatus, deleted, deletedAt],
      );
    }
    await pool.query(
      "INSERT INTO data_deletion_jobs (id, image_id, location_id, url, state, available_at, created_at, updated_at) VALUES ('j-gone', 'gone', 'l', 'memory://x', 'done', 0, 0, 0), ('j-pending', 'pending', 'l', 'memory://x', 'queued', 0, 0, 0)",
    );

    expect(await migrate(pool, { migrations: MIGRATIONS.slice(0, 2) })).toEqual({ applied: [2], version: 2 });
    for (const table of ['image_tags', 'image_properties', 'image_members', 'image_locations']) {
      const [rows] = await pool.query(`SELECT DISTINCT deleted, deleted_at FROM ${table}`);
      expect(rows).toEqual([{ deleted: 0, deleted_at: null }]);
    }
    const [locations] = await pool.query('SELECT image_id, status FROM image_locations ORDER BY image_id');
    expect(locations).toEqual([
      { image_id: 'gone', status: 'deleted' },
      { image_id: 'live', status: 'active' },
      { image_id: 'pending', status: 'active' },
    ]);

    const store = await openMysqlStorage(pool, { migrate: true });
    await expectChildrenReadThroughTheirImage(store, { deletedAt: new Date(at), memberTime: new Date(0) });
    // Every statement of version 2 can run again (MariaDB commits DDL as it goes): nothing changes.
    for (const statement of MIGRATIONS[1]!.up) await pool.query(statement);
    expect((await store.images.findById('live'))._unsafeUnwrap()).toMatchObject({
      tags: ['tag'],
      properties: { k: 'v' },
      members: [{ memberId: 'm', status: 'accepted' }],
      locations: [{ id: 'l', status: 'active' }],
    });
  });

  it('the store refuses a schema that is not current, naming the pending versions; { migrate: true } migrates first', async () => {
    const { pool } = await fresh();
    const refused = openMysqlStorage(pool);
    await expect(refused).rejects.toBeInstanceOf(SchemaNotCurrentError);
    await expect(refused).rejects.toThrow(/pending migration\(s\): 1 \(initial schema\), 2 \(/);
    await expect(refused).rejects.toMatchObject({ pending: MIGRATIONS });

    const storage = await openMysqlStorage(pool, { migrate: true });
    expect((await storage.jobs.counts())._unsafeUnwrap()).toEqual({ queued: 0, done: 0, dead: 0, cancelled: 0 });
    const later: MysqlMigration = { version: LATEST + 1, name: 'later', up: ['SELECT 1'] };
    await expect(openMysqlStorage(pool, { migrations: [...MIGRATIONS, later] })).rejects.toThrow(
      `pending migration(s): ${later.version} (later)`,
    );
  });

  it('eight pools migrating one new database at once: each version applied exactly once', async () => {
    const { name, pool } = await fresh();
    const pools = Array.from({ length: 8 }, () => testPool(name, { connectionLimit: 1 }));
    try {
      const reports = await Promise.all(pools.map((p) => migrate(p)));
      expect(reports.flatMap((r) => r.applied).sort()).toEqual(ALL);
      expect(reports.every((r) => r.version === LATEST)).toBe(true);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    const [recorded] = await pool.query('SELECT version, name FROM schema_migrations ORDER BY version');
    expect(recorded).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('four OS processes starting on one new database at once: each version applied exactly once', async () => {
    const { url, pool } = await fresh();
    const results = await runWorkers(Array.from({ length: 4 }, () => ({ mode: 'open' as const, url, poolSize: 1 })));
    console.log(
      `[mysql migrations] processes=4 applied-by-process=[${results.map((r) => `[${r.migrationsApplied.join(',')}]`).join(' ')}]`,
    );
    expect(results.flatMap((r) => r.migrationsApplied).sort()).toEqual(ALL);
    expect(await appliedVersions(pool)).toEqual(ALL);
  }, 60_000);
});
