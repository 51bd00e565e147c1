// The test MariaDB: where it is, whether it answers, and a fresh throw-away database per test (CREATE DATABASE, DROP after).
import { randomBytes } from 'node:crypto';
import { createConnection, createPool, type Pool, type PoolOptions } from 'mysql2/promise';
import { migrate } from '../migrations.js';

/** The test server and its `test` database; point elsewhere with IMAGE_CATALOG_TEST_MYSQL_URL. */
export const TEST_MYSQL_URL = process.env['IMAGE_CATALOG_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';

/** The URL of another database on the test server. */
export function urlOf(database: string): string {
  const url = new URL(TEST_MYSQL_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A pool on `database` of the test server. */
export function testPool(database: string, options: Omit<PoolOptions, 'uri'> = {}): Pool {
  return createPool({ uri: urlOf(database), connectionLimit: 8, connectTimeout: 5_000, ...options });
}

async function probe(): Promise<string | null> {
  try {
    const connection = await createConnection({ uri: TEST_MYSQL_URL, connectTimeout: 3_000 });
    await connection.end();
    return null;
  } catch (cause) {
    return cause instanceof Error ? cause.message || (cause as { code?: string }).code || cause.name : String(cause);
  }
}

/** `null` when the test server answers; otherwise why not. Computed once per test file. */
export const mysqlUnreachable: string | null = await probe();

if (mysqlUnreachable !== null) {
  console.warn(
    `\n[@image-catalog/mysql] SKIPPING MariaDB tests: cannot reach ${TEST_MYSQL_URL} (${mysqlUnreachable}). Set IMAGE_CATALOG_TEST_MYSQL_URL to run them.\n`,
  );
}

/** Suite title suffix that says, in the report, why a suite was skipped. */
export const skipNote = mysqlUnreachable === null ? '' : ` (SKIPPED: MariaDB unreachable at ${TEST_MYSQL_URL})`;

/** A unique database name, so tests running at once never see each other's rows. */
export function randomDatabaseName(): string {
  return `ic_test_${randomBytes(6).toString('hex')}`;
}

/** Runs one statement on the test server's own database (CREATE/DROP DATABASE). */
export async function onServer(statement: string): Promise<void> {
  const connection = await createConnection({ uri: TEST_MYSQL_URL, connectTimeout: 5_000 });
  try {
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}

/** A fresh database and a pool on it; `close` ends the pool and drops the database. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly pool: Pool;
  close(): Promise<void>;
}

export async function createTestDatabase(options: { readonly migrate?: boolean; readonly poolSize?: number } = {}): Promise<TestDatabase> {
  const name = randomDatabaseName();
  await onServer(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`);
  const pool = testPool(name, { connectionLimit: options.poolSize ?? 8 });
  try {
    if (options.migrate ?? true) await migrate(pool);
  } catch (cause) {
    await pool.end();
    await onServer(`DROP DATABASE IF EXISTS ${name}`);
    throw cause;
  }
  return {
    name,
    url: urlOf(name),
    pool,
    async close() {
      try {
        await pool.end();
      } finally {
        await onServer(`DROP DATABASE IF EXISTS ${name}`);
      }
    },
  };
}

/** Counts rows of a table matching an optional condition, read behind the store's back. */
export async function countRows(pool: Pool, table: string, where = 'TRUE', values: readonly (string | number)[] = []): Promise<number> {
  const [rows] = await pool.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, [...values]);
  return Number((rows as { n: number }[])[0]?.n ?? 0);
}
