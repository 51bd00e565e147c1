// The test PostgreSQL: where it is, whether it answers, and fresh throw-away schemas for each test file.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../migrations.js';

/** The test database; CI and developers point it elsewhere with IMAGE_CATALOG_TEST_PG_URL. */
export const TEST_PG_URL = process.env['IMAGE_CATALOG_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A pool on the test database that never crashes the test process over an idle connection's error. */
export function testPool(options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: TEST_PG_URL, max: 8, connectionTimeoutMillis: 5_000, ...options });
  // A backend terminated while idle (tests kill some on purpose) is reported here, not thrown.
  pool.on('error', () => {});
  return pool;
}

async function probe(): Promise<string | null> {
  const pool = testPool({ max: 1, connectionTimeoutMillis: 3_000 });
  try {
    await pool.query('SELECT 1');
    return null;
  } catch (cause) {
    return cause instanceof Error ? cause.message || cause.name : String(cause);
  } finally {
    await pool.end().catch(() => {});
  }
}

/** `null` when the test database answers; otherwise why not. Computed once per test file. */
export const postgresUnreachable: string | null = await probe();

if (postgresUnreachable !== null) {
  console.warn(
    `\n[@image-catalog/postgres] SKIPPING PostgreSQL tests: cannot reach ${TEST_PG_URL} (${postgresUnreachable}). Set IMAGE_CATALOG_TEST_PG_URL to run them.\n`,
  );
}

/** Suite title suffix that says, in the report, why a suite was skipped. */
export const skipNote = postgresUnreachable === null ? '' : ` (SKIPPED: PostgreSQL unreachable at ${TEST_PG_URL})`;

/** A random schema name, so test files running in parallel never see each other's rows. */
export function randomSchemaName(): string {
  return `ic_test_${randomBytes(6).toString('hex')}`;
}

/** The tables a store writes, children first (the order rows can be deleted in). */
export const STORE_TABLES = [
  'outbox_events',
  'data_deletion_jobs',
  'image_locations',
  'image_members',
  'image_tags',
  'image_properties',
  'images',
] as const;

/** Empties every store table (not the migration record): a fresh store for the next test, in one round trip. */
export async function clearTables(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query([...STORE_TABLES, 'rate_limit_windows'].map((t) => `DELETE FROM "${schema}".${t};`).join('\n'));
}

export async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** A fresh migrated schema on its own pool; `close` drops the schema and ends the pool. */
export interface TestSchema {
  readonly schema: string;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

export async function createTestSchema(options: { readonly migrate?: boolean; readonly poolSize?: number } = {}): Promise<TestSchema> {
  const schema = randomSchemaName();
  const pool = testPool({ max: options.poolSize ?? 8 });
  if (options.migrate ?? true) await migrate(pool, { schema });
  return {
    schema,
    pool,
    async close() {
      try {
        await dropSchema(pool, schema);
      } finally {
        await pool.end();
      }
    },
  };
}

/** Every row of every table in `schema`, in a stable order: to prove a failed call changed nothing. */
export async function dumpSchema(pool: pg.Pool, schema: string): Promise<string> {
  const tables = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
    [schema],
  );
  const dump: Record<string, string[]> = {};
  for (const { table_name: table } of tables.rows) {
    const rows = await pool.query({ text: `SELECT * FROM "${schema}"."${table}"`, rowMode: 'array' });
    dump[table] = rows.rows.map((r) => JSON.stringify(r)).sort();
  }
  return JSON.stringify(dump);
}
