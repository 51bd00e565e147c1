// Migrations: versioned, idempotent, all-or-nothing, and safe when several processes start at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectChildrenReadThroughTheirImage } from '@image-catalog/testkit';
import type pg from 'pg';
import { appliedVersions, migrate, MIGRATIONS, pendingMigrations, type PostgresMigration } from './migrations.js';
import { openPostgresStorage } from './postgres-storage.js';
import { runWorkers } from './test-support/spawn-workers.js';
import { dropSchema, postgresUnreachable, randomSchemaName, skipNote, TEST_PG_URL, testPool } from './test-support/test-database.js';

const ALL = MIGRATIONS.map((m) => m.version);
const LATEST = MIGRATIONS.at(-1)!.version;

describe('migrate options', () => {
  it.each(['Image_Catalog', 'a-b', '1abc', '', 'x'.repeat(64), 'public; DROP TABLE x'])(
    'refuses schema %j before touching the database',
    async (schema) => {
      const untouchable = { query: () => Promise.reject(new Error('touched')), connect: () => Promise.reject(new Error('touched')) };
      await expect(migrate(untouchable, { schema })).rejects.toBeInstanceOf(RangeError);
      await expect(openPostgresStorage(untouchable, { schema })).rejects.toBeInstanceOf(RangeError);
    },
  );

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
    (
      await pool.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [schema],
      )
    ).rows.map((r) => r.table_name);

  it('creates the schema and every table once; running again applies nothing', async () => {
    const schema = fresh();
    expect(await appliedVersions(pool, { schema })).toEqual([]);
    expect((await pendingMigrations(pool, { schema })).map((m) => m.version)).toEqual(ALL);

    expect(await migrate(pool, { schema })).toEqual({ applied: ALL, version: LATEST });
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
    expect(await migrate(pool, { schema })).toEqual({ applied: [], version: LATEST });
    expect(await appliedVersions(pool, { schema })).toEqual(ALL);
    expect(await pendingMigrations(pool, { schema })).toEqual([]);
  });

  it('applies only what is missing: a schema at version 1 gets the later versions', async () => {
    const schema = fresh();
    expect(await migrate(pool, { schema, migrations: MIGRATIONS.slice(0, 1) })).toEqual({ applied: [1], version: 1 });
    expect(await tables(schema)).not.toContain('rate_limit_windows');
    expect(await migrate(pool, { schema })).toEqual({ applied: ALL.slice(1), version: LATEST });
    expect(await tables(schema)).toContain('rate_limit_windows');
  });

  it('a failing migration leaves nothing behind, not even the schema', async () => {
    const schema = fresh();
    const broken: PostgresMigration[] = [
      ...MIGRATIONS,
      { version: LATEST + 1, name: 'broken', up: (s) => `CREATE TABLE ${s}.half_done (x int); SELECT 1 / 0;` },
    ];
    await expect(migrate(pool, { schema, migrations: broken })).rejects.toMatchObject({ code: '22012' });
    expect(await tables(schema)).toEqual([]);
    expect(await appliedVersions(pool, { schema })).toEqual([]);
    // And the pool's connection is still good.
    expect(await migrate(pool, { schema })).toEqual({ applied: ALL, version: LATEST });
  });

  it('eight pools migrating one new schema at once: each version applied exactly once', async () => {
    const schema = fresh();
    const pools = Array.from({ length: 8 }, () => testPool({ max: 1 }));
    try {
      const reports = await Promise.all(pools.map((p) => migrate(p, { schema })));
      expect(reports.flatMap((r) => r.applied).sort()).toEqual(ALL);
      expect(reports.every((r) => r.version === LATEST)).toBe(true);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    const recorded = await pool.query(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`);
    expect(recorded.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('four OS processes starting on one new schema at once: each version applied exactly once', async () => {
    const schema = fresh();
    const results = await runWorkers(
      Array.from({ length: 4 }, () => ({ mode: 'open' as const, url: TEST_PG_URL, schema, offset: 0, poolSize: 1 })),
    );
    const applied = results.flatMap((r) => r.migrationsApplied);
    console.log(
      `[postgres migrations] processes=4 applied-by-process=[${results.map((r) => `[${r.migrationsApplied.join(',')}]`).join(' ')}]`,
    );
    expect(applied.sort()).toEqual(ALL);
    expect(await appliedVersions(pool, { schema })).toEqual(ALL);
  }, 60_000);

  it('version 3 turns the children an older delete soft-deleted back into plain rows: they read as before, restore and purge work on them', async () => {
    const schema = fresh();
    await migrate(pool, { schema, migrations: MIGRATIONS.filter((m) => m.version < 3) });
    const s = `"${schema}"`;
    const at = new Date('2025-03-04T05:06:07.000Z');
    const image = `INSERT INTO ${s}.images (id, status, status_before_delete, visibility, created_at, updated_at, deleted, deleted_at) VALUES ($1, $2, 'active', 'private', $3, $3, $4, $5)`;
    await pool.query(image, ['live', 'active', at, false, null]);
    await pool.query(image, ['gone', 'deleted', at, true, at]);
    await pool.query(image, ['pending', 'pending_delete', at, true, at]);
    // As versions 1 and 2 wrote a delete: every child soft-deleted with the image's deleted_at, active locations pending_delete.
    for (const [id, deleted, deletedAt, locationStatus] of [
      ['live', false, null, 'active'],
      ['gone', true, at, 'deleted'],
      ['pending', true, at, 'pending_delete'],
    ] as const) {
      await pool.query(`INSERT INTO ${s}.image_tags (image_id, value, position, deleted, deleted_at) VALUES ($1, 'tag', 0, $2, $3)`, [
        id,
        deleted,
        deletedAt,
      ]);
      await pool.query(
        `INSERT INTO ${s}.image_properties (image_id, name, value, position, deleted, deleted_at) VALUES ($1, 'k', 'v', 0, $2, $3)`,
        [id, deleted, deletedAt],
      );
      await pool.query(
        `INSERT INTO ${s}.image_members (image_id, member_id, status, position, created_at, updated_at, deleted, deleted_at) VALUES ($1, 'm', 'accepted', 0, $2, $2, $3, $4)`,
        [id, at, deleted, deletedAt],
      );
      await pool.query(
        `INSERT INTO ${s}.image_locations (image_id, id, url, status, position, deleted, deleted_at) VALUES ($1, 'l', 'memory://x', $2, 0, $3, $4)`,
        [id, locationStatus, deleted, deletedAt],
      );
    }
    await pool.query(
      `INSERT INTO ${s}.data_deletion_jobs (id, image_id, location_id, url, state, available_at, created_at, updated_at) VALUES ('j-gone', 'gone', 'l', 'memory://x', 'done', $1, $1, $1), ('j-pending', 'pending', 'l', 'memory://x', 'queued', $1, $1, $1)`,
      [at],
    );

    expect((await migrate(pool, { schema })).applied).toEqual(MIGRATIONS.filter((m) => m.version >= 3).map((m) => m.version));
    for (const table of ['image_tags', 'image_properties', 'image_members', 'image_locations']) {
      expect((await pool.query(`SELECT DISTINCT deleted, deleted_at FROM ${s}.${table}`)).rows).toEqual([
        { deleted: false, deleted_at: null },
      ]);
    }
    expect((await pool.query(`SELECT image_id, status FROM ${s}.image_locations ORDER BY image_id`)).rows).toEqual([
      { image_id: 'gone', status: 'deleted' },
      { image_id: 'live', status: 'active' },
      { image_id: 'pending', status: 'active' },
    ]);

    const store = await openPostgresStorage(pool, { schema });
    await expectChildrenReadThroughTheirImage(store, { deletedAt: at, memberTime: at });
  });

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
