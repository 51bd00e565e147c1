// The migration command as an operator runs it: a child process against the real PostgreSQL, checked by exit status and output.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runProcess, TYPESCRIPT_SOURCE_EXEC_ARGV } from '@image-catalog/testkit/process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { appliedVersions, migrate, MIGRATIONS } from '../migrations.js';
import { openPostgresStorage } from '../postgres-storage.js';
import { SchemaNotCurrentError } from '../schema-check.js';
import { dropSchema, postgresUnreachable, randomSchemaName, skipNote, TEST_PG_URL, testPool } from '../test-support/test-database.js';

const BIN = fileURLToPath(new URL('./image-catalog-postgres-migrate.ts', import.meta.url));
const LATEST = MIGRATIONS.at(-1)!;
const USAGE = 'usage: image-catalog-postgres-migrate <postgres-url> [--check] [--schema name]';

function migrateCommand(...args: string[]) {
  return runProcess(process.execPath, [...TYPESCRIPT_SOURCE_EXEC_ARGV, BIN, ...args], { timeoutMs: 30_000 });
}

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('image-catalog-postgres-migrate: usage and unreachable server (no server needed)', () => {
  it.each([
    ['no URL', []],
    ['two URLs', ['postgres://a/b', 'postgres://c/d']],
    ['a URL that is not postgres://', ['http://127.0.0.1/test']],
    ['something that is not a URL', ['test-database']],
    ['a malformed schema name', ['postgres://127.0.0.1/test', '--schema', 'Image-Catalog']],
    ['--schema without a name', ['postgres://127.0.0.1/test', '--schema']],
    ['an unknown option', ['postgres://127.0.0.1/test', '--force']],
  ])('exits 2 with the usage text on %s', async (_what, args) => {
    const run = await migrateCommand(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(USAGE);
    expect(run.stdout).toBe('');
  });

  it('--help prints the usage text and exits 0', async () => {
    const run = await migrateCommand('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(USAGE);
  });

  it('exits 3 when the server does not answer, naming where it looked but never the password', async () => {
    const port = await closedPort();
    for (const args of [['--check'], []]) {
      const run = await migrateCommand(`postgres://operator:s3cret-pw@127.0.0.1:${port}/test`, ...args);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(`postgres://127.0.0.1:${port}/test`);
      expect(run.stderr).toMatch(/ECONNREFUSED/);
      expect(run.stderr + run.stdout).not.toContain('s3cret-pw');
    }
  });
});

describe.skipIf(postgresUnreachable !== null)(`image-catalog-postgres-migrate against PostgreSQL${skipNote}`, () => {
  let pool: pg.Pool;
  const schemas: string[] = [];
  const fresh = () => {
    const schema = randomSchemaName();
    schemas.push(schema);
    return schema;
  };

  beforeAll(() => {
    pool = testPool({ max: 2 });
  });

  afterAll(async () => {
    for (const schema of schemas) await dropSchema(pool, schema);
    await pool.end();
  });

  it('--check on a new schema exits 1 listing every migration, and creates nothing', async () => {
    const schema = fresh();
    const run = await migrateCommand(TEST_PG_URL, '--check', '--schema', schema);
    expect(run.code, run.stderr).toBe(1);
    for (const m of MIGRATIONS) expect(run.stdout).toContain(`  ${m.version}  ${m.name}\n`);
    expect(run.stdout).toContain(`run image-catalog-postgres-migrate <postgres-url> --schema ${schema} to apply them`);
    expect((await pool.query(`SELECT 1 FROM information_schema.schemata WHERE schema_name = $1`, [schema])).rowCount).toBe(0);
  });

  it('pending → apply → current: the store refuses before and opens after', async () => {
    const schema = fresh();
    await migrate(pool, { schema, migrations: MIGRATIONS.slice(0, -1) });
    await expect(openPostgresStorage(pool, { schema })).rejects.toBeInstanceOf(SchemaNotCurrentError);

    const check = await migrateCommand(TEST_PG_URL, '--schema', schema, '--check');
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout).toContain(`1 pending migration\n  ${LATEST.version}  ${LATEST.name}\n`);
    expect(check.stdout).not.toContain(`  1  ${MIGRATIONS[0]!.name}`);
    expect(await appliedVersions(pool, { schema })).toEqual(MIGRATIONS.slice(0, -1).map((m) => m.version));

    const apply = await migrateCommand(TEST_PG_URL, '--schema', schema);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain(`applied 1 migration\n  ${LATEST.version}  ${LATEST.name}\nschema now at version ${LATEST.version}`);
    expect(await appliedVersions(pool, { schema })).toEqual(MIGRATIONS.map((m) => m.version));
    await expect(openPostgresStorage(pool, { schema })).resolves.toBeDefined();

    const current = await migrateCommand(TEST_PG_URL, '--check', '--schema', schema);
    expect(current.code, current.stderr).toBe(0);
    expect(current.stdout).toContain(`schema "${schema}" at `);
    expect(current.stdout).toContain(`schema current (version ${LATEST.version})`);
    const again = await migrateCommand(TEST_PG_URL, '--schema', schema);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to apply');
  });

  it('migrates a new schema from nothing', async () => {
    const schema = fresh();
    const run = await migrateCommand(TEST_PG_URL, '--schema', schema);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`applied ${MIGRATIONS.length} migrations`);
    await expect(openPostgresStorage(pool, { schema })).resolves.toBeDefined();
  });
});
