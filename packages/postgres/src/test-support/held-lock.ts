// Another session holding a lock in an open transaction, as a migration, a VACUUM FULL or a stuck batch job would.
import pg from 'pg';
import { TEST_PG_URL } from './test-database.js';

/** The session's transaction stays open, holding what `sql` locked, until `release` rolls it back. */
export interface HeldLock {
  release(): Promise<void>;
}

export interface HoldLockOptions {
  /** Parameters of `sql`. */
  readonly values?: readonly unknown[];
  /** The database (default `TEST_PG_URL`). */
  readonly url?: string;
}

/** Opens its own `pg.Client` (not from any pool under test), runs `BEGIN` and `sql`, and returns once the lock is held. */
export async function holdLock(sql: string, { values = [], url = TEST_PG_URL }: HoldLockOptions = {}): Promise<HeldLock> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(sql, [...values]);
  } catch (cause) {
    await client.end();
    throw cause;
  }
  let released: Promise<void> | undefined;
  return {
    release: () =>
      (released ??= (async () => {
        try {
          await client.query('ROLLBACK');
        } finally {
          await client.end();
        }
      })()),
  };
}
