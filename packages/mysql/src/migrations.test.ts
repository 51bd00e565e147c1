// Migrations: versioned, idempotent, re-runnable after a failure, and applied once when many pools or processes start together.
import { afterEach, describe, expect, it } from 'vitest';
import { appliedVersions, migrate, MIGRATIONS, pendingMigrations, type MysqlMigration } from './migrations.js';
import type { MysqlPool } from './mysql-connection.js';
import { openMysqlStorage, SchemaNotCurrentError } from './open-mysql-storage.js';
import { unsupportedServer } from './server-version.js';
import { runWorkers } from './test-support/spawn-workers.js';
import { createTestDatabase, mysqlUnreachable, skipNote, testPool, type TestDatabase } from './test-support/test-database.js';

const untouchable: MysqlPool = { getConnection: () => Promise.reject(new Error('touched')) };

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
    expect((await pendingMigrations(pool)).map((m) => m.version)).toEqual([1]);

    expect(await migrate(pool)).toEqual({ applied: [1], version: 1 });
    expect(await tables(created)).toEqual(
      [
        'data_deletion_jobs',
        'image_locations',
        'image_members',
        'image_properties',
        'image_tags',
        'images',
        'outbox_events',
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

    expect(await migrate(pool)).toEqual({ applied: [], version: 1 });
    expect(await appliedVersions(pool)).toEqual([1]);
    expect(await pendingMigrations(pool)).toEqual([]);
  });

  it('applies only what is missing: a database at version 1 gets a later version', async () => {
    const { pool } = await fresh();
    await migrate(pool);
    const next: MysqlMigration = { version: 2, name: 'an index', up: ['CREATE INDEX IF NOT EXISTS images_by_owner ON images (owner)'] };
    expect((await pendingMigrations(pool, [...MIGRATIONS, next])).map((m) => m.version)).toEqual([2]);
    expect(await migrate(pool, { migrations: [...MIGRATIONS, next] })).toEqual({ applied: [2], version: 2 });
    const [indexes] = await pool.query(
      "SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = 'images_by_owner'",
    );
    expect(indexes).toHaveLength(1);
  });

  it('a migration failing half-way is not recorded, and applying it again (fixed) completes it: every statement re-runnable', async () => {
    const created = await fresh();
    const { pool } = created;
    const halfDone = 'CREATE TABLE IF NOT EXISTS half_done (x INT) ENGINE=InnoDB';
    const broken: MysqlMigration = { version: 2, name: 'broken', up: [halfDone, 'ALTER TABLE no_such_table ADD COLUMN y INT'] };
    await expect(migrate(pool, { migrations: [...MIGRATIONS, broken] })).rejects.toMatchObject({ errno: 1146 });
    // MariaDB commits DDL as it goes: version 1 and the first statement of version 2 stayed.
    expect(await appliedVersions(pool)).toEqual([1]);
    expect(await tables(created)).toContain('half_done');
    const fixed: MysqlMigration = { ...broken, up: [halfDone, 'ALTER TABLE half_done ADD COLUMN IF NOT EXISTS y INT'] };
    expect(await migrate(pool, { migrations: [...MIGRATIONS, fixed] })).toEqual({ applied: [2], version: 2 });
    // And the lock was released on failure: another connection can migrate at once.
    expect(await migrate(pool, { migrations: [...MIGRATIONS, fixed], lockTimeoutSeconds: 1 })).toEqual({ applied: [], version: 2 });
  });

  it('the store refuses a schema that is not current, naming the pending versions; { migrate: true } migrates first', async () => {
    const { pool } = await fresh();
    const refused = openMysqlStorage(pool);
    await expect(refused).rejects.toBeInstanceOf(SchemaNotCurrentError);
    await expect(refused).rejects.toThrow(/pending migration\(s\): 1 \(initial schema\)/);
    await expect(refused).rejects.toMatchObject({ pending: [MIGRATIONS[0]] });

    const storage = await openMysqlStorage(pool, { migrate: true });
    expect((await storage.jobs.counts())._unsafeUnwrap()).toEqual({ queued: 0, done: 0, dead: 0, cancelled: 0 });
    const later: MysqlMigration = { version: 2, name: 'later', up: ['SELECT 1'] };
    await expect(openMysqlStorage(pool, { migrations: [...MIGRATIONS, later] })).rejects.toThrow(/pending migration\(s\): 2 \(later\)/);
  });

  it('eight pools migrating one new database at once: each version applied exactly once', async () => {
    const { name, pool } = await fresh();
    const pools = Array.from({ length: 8 }, () => testPool(name, { connectionLimit: 1 }));
    try {
      const reports = await Promise.all(pools.map((p) => migrate(p)));
      expect(reports.flatMap((r) => r.applied)).toEqual([1]);
      expect(reports.every((r) => r.version === 1)).toBe(true);
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
    expect(results.flatMap((r) => r.migrationsApplied)).toEqual([1]);
    expect(await appliedVersions(pool)).toEqual([1]);
  }, 60_000);
});
