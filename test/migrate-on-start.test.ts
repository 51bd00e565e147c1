// The example service with IMAGE_CATALOG_MIGRATE=0: a schema the deploy step did not migrate stops the start, naming the pending migrations.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIGRATIONS as PG_MIGRATIONS } from '@image-catalog/postgres';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '@image-catalog/sqlite';
import { runProcess, TYPESCRIPT_SOURCE_EXEC_ARGV } from '@image-catalog/testkit/process';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runServiceUntilExit, serviceEnv, startServiceProcess } from './support/service-process.js';

const SQLITE_MIGRATE = fileURLToPath(new URL('../packages/sqlite/src/bin/image-catalog-sqlite-migrate.ts', import.meta.url));
const PG_MIGRATE = fileURLToPath(new URL('../packages/postgres/src/bin/image-catalog-postgres-migrate.ts', import.meta.url));
const PG_URL = process.env['IMAGE_CATALOG_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

function runMigrateCommand(entry: string, args: readonly string[]) {
  return runProcess(process.execPath, [...TYPESCRIPT_SOURCE_EXEC_ARGV, entry, ...args], { timeoutMs: 30_000 });
}

/** Starts the service, proves it listens, stops it. */
async function startsAndServes(env: Record<string, string>): Promise<void> {
  const service = await startServiceProcess(env);
  try {
    expect((await fetch(`${service.url}/versions`)).status).toBe(200);
  } finally {
    service.kill('SIGKILL');
    await service.exited;
  }
}

async function postgresProblem(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (cause) {
    return cause instanceof Error ? cause.message || cause.name : String(cause);
  } finally {
    await client.end().catch(() => {});
  }
}

const pgProblem = await postgresProblem();
if (pgProblem !== null) console.warn(`\n[migrate-on-start] SKIPPING the PostgreSQL case: cannot reach ${PG_URL} (${pgProblem}).\n`);

describe('example service, IMAGE_CATALOG_MIGRATE=0 on SQLite', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'image-catalog-migrate-on-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an unmigrated file with exit 1 and the pending migrations; after the migrate command it starts', async () => {
    const env = serviceEnv(dir, { IMAGE_CATALOG_MIGRATE: '0' });
    const refused = await runServiceUntilExit(env);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('failed to start');
    for (const m of SQLITE_MIGRATIONS) expect(refused.output).toContain(`${m.version} (${m.name})`);
    expect(refused.output).toContain('run image-catalog-sqlite-migrate');

    const migrated = await runMigrateCommand(SQLITE_MIGRATE, [path.join(dir, 'images.db')]);
    expect(migrated.code, migrated.stderr).toBe(0);
    await startsAndServes(env);
  });
});

describe.skipIf(pgProblem !== null)(
  `example service, IMAGE_CATALOG_MIGRATE=0 on PostgreSQL${pgProblem === null ? '' : ' (SKIPPED: PostgreSQL unreachable)'}`,
  () => {
    const database = `ic_start_${randomBytes(6).toString('hex')}`;
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    const dir = mkdtempSync(path.join(tmpdir(), 'image-catalog-migrate-on-start-pg-'));

    afterAll(async () => {
      rmSync(dir, { recursive: true, force: true });
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.end();
    });

    it('refuses an unmigrated database with exit 1 and the pending migrations; after the migrate command it starts', async () => {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${database}"`);
      await admin.end();

      const env = serviceEnv(dir, { IMAGE_CATALOG_MIGRATE: '0', DATABASE_URL: url.href });
      const refused = await runServiceUntilExit(env);
      expect(refused.code).toBe(1);
      expect(refused.output).toContain('failed to start: cannot prepare the PostgreSQL schema');
      for (const m of PG_MIGRATIONS) expect(refused.output).toContain(`${m.version} (${m.name})`);

      const check = await runMigrateCommand(PG_MIGRATE, [url.href, '--check']);
      expect(check.code).toBe(1);
      const migrated = await runMigrateCommand(PG_MIGRATE, [url.href]);
      expect(migrated.code, migrated.stderr).toBe(0);
      await startsAndServes(env);
    });
  },
);
