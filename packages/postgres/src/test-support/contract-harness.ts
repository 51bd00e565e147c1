// The testkit harness for PostgreSQL: one migrated schema per test file, emptied per test, faults injected through PostgreSQL.
import { ResultAsync } from 'neverthrow';
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { StorageError } from '@image-catalog/core';
import type { ImageQuotas } from '@image-catalog/core/authoring';
import type { StorageFaultInjection, StorageHarness } from '@image-catalog/testkit';
import { openPostgresStorage } from '../postgres-storage.js';
import { InstrumentedPool, pgError } from './instrumented-pool.js';
import { clearTables, createTestSchema, STORE_TABLES, type TestSchema } from './test-database.js';

/**
 * Installs the mid-transaction fault switch in `schema`: an AFTER INSERT OR UPDATE row trigger
 * on every store table raises the SQLSTATE stored in `contract_fault_switch`, if any. So an
 * armed statement really writes a row inside PostgreSQL and then fails, and the transaction
 * (one statement or BEGIN...COMMIT) must roll it back.
 */
export async function installFaultSwitch(pool: pg.Pool, schema: string): Promise<void> {
  const s = `"${schema}"`;
  await pool.query(`
    CREATE TABLE ${s}.contract_fault_switch (sqlstate text NOT NULL);
    CREATE FUNCTION ${s}.contract_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE code text;
    BEGIN
      SELECT sqlstate INTO code FROM ${s}.contract_fault_switch LIMIT 1;
      IF code IS NOT NULL THEN
        RAISE EXCEPTION 'injected fault after a write to %', TG_TABLE_NAME USING ERRCODE = code;
      END IF;
      RETURN NULL;
    END $$;
    ${STORE_TABLES.map((t) => `CREATE TRIGGER contract_fault AFTER INSERT OR UPDATE ON ${s}.${t} FOR EACH ROW EXECUTE FUNCTION ${s}.contract_fault();`).join('\n')}
  `);
}

/** Arms (`sqlstate`) or disarms (`null`) the switch. */
export async function setFaultSwitch(pool: pg.Pool, schema: string, sqlstate: string | null): Promise<void> {
  await pool.query(`DELETE FROM "${schema}".contract_fault_switch`);
  if (sqlstate !== null) await pool.query(`INSERT INTO "${schema}".contract_fault_switch (sqlstate) VALUES ($1)`, [sqlstate]);
}

/**
 * SQLSTATEs the adapter maps to each kind: lock_not_available is "unavailable" (and not retried),
 * internal_error a fault. Before the method starts, a dropped connection stands for "unavailable".
 */
const MID_TRANSACTION_SQLSTATE: Record<StorageError['kind'], string> = { StorageUnavailable: '55P03', StorageFault: 'XX000' };
const BEFORE_START_ERROR: Record<StorageError['kind'], () => unknown> = {
  StorageUnavailable: () => pgError('57P01', 'terminating connection due to administrator command'),
  StorageFault: () => pgError('XX000'),
};

interface Armed {
  readonly fault: StorageFaultInjection;
  remaining: number;
}

/**
 * Registers beforeAll/afterAll in the calling `describe` (a fresh schema with the fault switch)
 * and returns the factory the suites call before every test (tables emptied, new storage, its
 * catalog enforcing `quotas` if given).
 */
export function usePostgresHarness(): (quotas?: ImageQuotas) => Promise<StorageHarness> {
  let db: TestSchema | undefined;
  beforeAll(async () => {
    db = await createTestSchema();
    await installFaultSwitch(db.pool, db.schema);
  });
  afterAll(async () => {
    await db?.close();
  });

  return async (quotas?: ImageQuotas): Promise<StorageHarness> => {
    if (db === undefined) throw new Error('the PostgreSQL test schema was not created');
    const { pool, schema } = db;
    await clearTables(pool, schema);
    await setFaultSwitch(pool, schema, null);
    const instrumented = new InstrumentedPool(pool);
    const storage = await openPostgresStorage(instrumented, { schema, quotas });
    const armed = new Map<string, Armed>();

    const faulted = async (armedFault: Armed, call: () => ResultAsync<unknown, unknown>) => {
      const { fault } = armedFault;
      armedFault.remaining -= 1;
      if (!fault.midTransaction) {
        instrumented.failNth(1, BEFORE_START_ERROR[fault.error.kind]());
        try {
          return await call();
        } finally {
          instrumented.clear();
        }
      }
      await setFaultSwitch(pool, schema, MID_TRANSACTION_SQLSTATE[fault.error.kind]);
      try {
        return await call();
      } finally {
        await setFaultSwitch(pool, schema, null);
      }
    };

    /** The port as it is, except that a method armed by `injectFault` fails as asked. */
    const withFaults = <Port extends object>(port: Port): Port =>
      new Proxy(port, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const call = () => value.apply(target, args) as ResultAsync<unknown, unknown>;
            const armedFault = typeof property === 'string' ? armed.get(property) : undefined;
            if (armedFault === undefined || armedFault.remaining <= 0) return call();
            return new ResultAsync(faulted(armedFault, call));
          };
        },
      });

    return {
      images: withFaults(storage.images),
      catalog: withFaults(storage.catalog),
      jobs: withFaults(storage.jobs),
      outbox: withFaults(storage.outbox),
      injectFault: (fault) => {
        armed.set(fault.method, { fault, remaining: fault.times ?? 1 });
      },
      async close() {
        instrumented.clear();
      },
    };
  };
}
