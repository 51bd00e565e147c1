// Migrations: versioned, idempotent, all-or-nothing, and safe when several processes start at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { appliedVersions, migrate, MIGRATIONS, pendingMigrations, type PostgresMigration } from './migrations.js';
import { openPostgresStorage } from './postgres-storage.js';
import { runWorkers } from './test-support/spawn-workers.js';
import { dropSchema, postgresUnreachable, randomSchemaName, skipNote, TEST_PG_URL, testPool } from './test-support/test-database.js';

describe('migrate options', () => {
  it.each(['Image_Catalog', 'a-b', '1abc', '', 'x'.repeat(64), 'public; DROP TABLE x'])('refuses schema %j before touching the database', async (schema) => {
    const untouchable = { query: () => Promise.reject(new Error('touched')), connect: () => Promise.reject(new Error('touched')) };
    await expect(migrate(untouchable, { schema })).rejects.toBeInstanceOf(RangeError);
    await expect(openPostgresStorage(untouchable, { schema })).rejects.toBeInstanceOf(RangeError);
  });

  it('refuses migrations out of order', async () => {
    const untouchable = { query: () => Promise.reject(new Error('touched')), connect: () => Promise.reject(new Error('touched')) };
    const shuffled: PostgresMigration[] = [MIGRATIONS[1]!, MIGRATIONS[0]!];
    await expect(migrate(untouchable, { migrations: shuffled })).rejects.toBeInstanceOf(RangeError);
  });
});

describe.skipIf(postgresUnreachable !== null)(`postgres: migrations${skipNote}`, () => {
  let pool: pg.Pool;
  const schemas: string[] = [];
  const fresh = () => {
    const schema = randomSchemaName();
    schemas.push(schema);
    return schema;
  };

  beforeAll(() => {
    pool = testPool({ max: 8 });
  });

  afterAll(async () => {
    for (const schema of schemas) await dropSchema(pool, schema);
    await pool.end();
  });

  const tables = async (schema: string) =>
    (await pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema])).rows.map(
      (r) => r.table_name,
    );

  it('creates the schema and every table once; running again applies nothing', async () => {
    const schema = fresh();
    expect(await appliedVersions(pool, { schema })).toEqual([]);
    expect((await pendingMigrations(pool, { schema })).map((m) => m.version)).toEqual([1, 2]);

    expect(await migrate(pool, { schema })).toEqual({ applied: [1, 2], version: 2 });
    expect(await tables(schema)).toEqual([
      'data_deletion_jobs',
      'image_locations',
      'image_members',
      'image_properties',
      'image_tags',
      'images',
      'outbox_events',
      'rate_limit_windows',
      'schema_migrations',
    ]);
    expect(await migrate(pool, { schema })).toEqual({ applied: [], version: 2 });
    expect(await appliedVersions(pool, { schema })).toEqual([1, 2]);
    expect(await pendingMigrations(pool, { schema })).toEqual([]);
  });

  it('applies only what is missing: a schema at version 1 gets version 2', async () => {
    const schema = fresh();
    expect(await migrate(pool, { schema, migrations: MIGRATIONS.slice(0, 1) })).toEqual({ applied: [1], version: 1 });
    expect(await tables(schema)).not.toContain('rate_limit_windows');
    expect(await migrate(pool, { schema })).toEqual({ applied: [2], version: 2 });
    expect(await tables(schema)).toContain('rate_limit_windows');
  });

  it('a failing migration leaves nothing behind, not even the schema', async () => {
    const schema = fresh();
    const broken: PostgresMigration[] = [...MIGRATIONS, { version: 3, name: 'broken', up: (s) => `CREATE TABLE ${s}.half_done (x int); SELECT 1 / 0;` }];
    await expect(migrate(pool, { schema, migrations: broken })).rejects.toMatchObject({ code: '22012' });
    expect(await tables(schema)).toEqual([]);
    expect(await appliedVersions(pool, { schema })).toEqual([]);
    // And the pool's connection is still good.
    expect(await migrate(pool, { schema })).toEqual({ applied: [1, 2], version: 2 });
  });

  it('eight pools migrating one new schema at once: each version applied exactly once', async () => {
    const schema = fresh();
    const pools = Array.from({ length: 8 }, () => testPool({ max: 1 }));
    try {
      const reports = await Promise.all(pools.map((p) => migrate(p, { schema })));
      expect(reports.flatMap((r) => r.applied).sort()).toEqual([1, 2]);
      expect(reports.every((r) => r.version === 2)).toBe(true);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    const recorded = await pool.query(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`);
    expect(recorded.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('four OS processes starting on one new schema at once: each version applied exactly once', async () => {
    const schema = fresh();
    const results = await runWorkers(Array.from({ length: 4 }, () => ({ mode: 'open' as const, url: TEST_PG_URL, schema, offset: 0, poolSize: 1 })));
    const applied = results.flatMap((r) => r.migrationsApplied);
    console.log(`[postgres migrations] processes=4 applied-by-process=[${results.map((r) => `[${r.migrationsApplied.join(',')}]`).join(' ')}]`);
    expect(applied.sort()).toEqual([1, 2]);
    expect(await appliedVersions(pool, { schema })).toEqual([1, 2]);
  }, 60_000);

  it('two schemas in one database are independent stores, even on one pool', async () => {
    const [a, b] = [fresh(), fresh()];
    await migrate(pool, { schema: a });
    await migrate(pool, { schema: b });
    const storeA = await openPostgresStorage(pool, { schema: a });
    const storeB = await openPostgresStorage(pool, { schema: b });
    const id = globalThis.crypto.randomUUID();
    expect((await storeA.catalog.createImage({ id, owner: 'p' }, new Date())).isOk()).toBe(true);
    expect((await storeB.images.findById(id))._unsafeUnwrap()).toBeNull();
    expect((await storeA.images.findById(id))._unsafeUnwrap()?.id).toBe(id);
  });
});
