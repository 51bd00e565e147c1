// For a describe block racing two "server processes": a fresh migrated schema and a second pool on it, closed after the block.
import { afterAll, beforeAll } from 'vitest';
import type pg from 'pg';
import { createTestSchema, testPool, type TestSchema } from './test-database.js';

/** The schema's name and pool, and `secondPool`: another pool on the same database, as a second process would have. */
export interface SchemaWithSecondPool {
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly secondPool: pg.Pool;
}

/**
 * Registers `beforeAll`/`afterAll` in the calling describe block. The answer's fields can be read
 * in tests and hooks only (before `beforeAll` has run there is nothing to read, and reading throws).
 */
export function useSchemaWithSecondPool(options: { readonly secondPoolSize: number }): SchemaWithSecondPool {
  let db: TestSchema | undefined;
  let second: pg.Pool | undefined;

  beforeAll(async () => {
    db = await createTestSchema();
    second = testPool({ max: options.secondPoolSize });
  });

  afterAll(async () => {
    await second?.end();
    await db?.close();
  });

  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useSchemaWithSecondPool: read inside a test or hook, after beforeAll');
    return value;
  };
  return {
    get schema() {
      return opened(db).schema;
    },
    get pool() {
      return opened(db).pool;
    },
    get secondPool() {
      return opened(second);
    },
  };
}
