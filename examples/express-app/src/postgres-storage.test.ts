// The example on PostgreSQL: it migrates its schema at start, or, with IMAGE_CATALOG_MIGRATE=0, refuses an unmigrated one with a logged error.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Logger } from '@image-catalog/core';
import { loadConfig } from './config.js';
import { openServicePostgresStorage } from './postgres-storage.js';

const ADMIN_URL = process.env['IMAGE_CATALOG_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `null` when the test server answers, otherwise why not. */
async function unreachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return null;
  } catch (cause) {
    return cause instanceof Error ? cause.message || cause.name : String(cause);
  } finally {
    await client.end().catch(() => {});
  }
}

const skip = await unreachable();
if (skip !== null) console.warn(`\n[example-express-app] SKIPPING PostgreSQL start-up tests: cannot reach ${ADMIN_URL} (${skip})\n`);

/** Records what the service logs at error level. */
function recordingLogger(): Logger & { readonly errors: string[] } {
  const errors: string[] = [];
  return { debug() {}, info() {}, warn() {}, error: (_obj, msg) => void errors.push(msg ?? ''), errors };
}

// The service always uses the default schema, so each run gets a database of its own.
describe.skipIf(skip !== null)(`example service on PostgreSQL${skip === null ? '' : ' (SKIPPED: PostgreSQL unreachable)'}`, () => {
  const database = `ic_example_${randomBytes(6).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const admin = () => new pg.Client({ connectionString: ADMIN_URL });

  beforeAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`CREATE DATABASE ${database}`);
    await client.end();
  });

  afterAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await client.end();
  });

  const config = (env: Record<string, string> = {}) => loadConfig({ DATABASE_URL: url.href, ...env }, process.cwd());

  it('IMAGE_CATALOG_MIGRATE=0 on an unmigrated schema: refuses to start, naming the pending migrations, and logs why', async () => {
    const logger = recordingLogger();
    await expect(openServicePostgresStorage(config({ IMAGE_CATALOG_MIGRATE: '0' }), logger)).rejects.toThrow(
      /not current \(pending migrations: 1 \(.*2 \(.*IMAGE_CATALOG_MIGRATE=0/,
    );
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]).toMatch(/cannot prepare the PostgreSQL schema: .*pending migrations: 1 \(.*2 \(/);
  });

  it('by default it migrates and starts; afterwards IMAGE_CATALOG_MIGRATE=0 starts too', async () => {
    const migrated = await openServicePostgresStorage(config(), recordingLogger());
    await migrated.close();
    const logger = recordingLogger();
    const checked = await openServicePostgresStorage(config({ IMAGE_CATALOG_MIGRATE: '0' }), logger);
    expect(checked.description).toBe(`postgres:${url.host}/${database}`);
    await checked.close();
    expect(logger.errors).toEqual([]);
  });

  it('hands IMAGE_CATALOG_IMAGE_COUNT_TOTAL and IMAGE_CATALOG_IMAGE_SIZE_TOTAL to the store, whose catalog enforces them', async () => {
    const storage = await openServicePostgresStorage(
      config({ IMAGE_CATALOG_IMAGE_COUNT_TOTAL: '1', IMAGE_CATALOG_IMAGE_SIZE_TOTAL: '10' }),
      recordingLogger(),
    );
    try {
      const image = { owner: 'quota-project', status: 'queued' as const };
      const first = (await storage.catalog.createImage({ id: globalThis.crypto.randomUUID(), ...image }, new Date()))._unsafeUnwrap();
      expect(
        (await storage.catalog.createImage({ id: globalThis.crypto.randomUUID(), ...image }, new Date()))._unsafeUnwrapErr(),
      ).toMatchObject({ kind: 'QuotaExceeded', resource: 'image_count_total', limit: 1 });
      const data = { url: 'file:///nowhere', size: 11, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h' };
      expect((await storage.catalog.attachImageData(first.id, data, new Date()))._unsafeUnwrapErr()).toMatchObject({
        kind: 'QuotaExceeded',
        resource: 'image_size_total',
        limit: 10,
      });
    } finally {
      await storage.close();
    }
  });
});
