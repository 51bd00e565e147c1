// The testkit harness for MariaDB: a fresh migrated database per test, the four ports over one pool, faults raised by the server.
import { ResultAsync } from 'neverthrow';
import type { ImageQuotas } from '@image-catalog/core/authoring';
import type { StorageFaultInjection, StorageHarness, StoragePortMethod } from '@image-catalog/testkit';
import { openMysqlStorage } from '../open-mysql-storage.js';
import { FaultPool } from './fault-pool.js';
import { createTestDatabase } from './test-database.js';

interface Armed {
  readonly fault: StorageFaultInjection;
  remaining: number;
}

/** Wraps a port object so that an armed method runs with its fault switched on in the pool. */
function withFaults<T extends object>(port: T, armed: Map<StoragePortMethod, Armed>, pool: FaultPool): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const call = () => value.apply(target, args) as ResultAsync<unknown, unknown>;
        const armedFault = armed.get(property as StoragePortMethod);
        if (armedFault === undefined || armedFault.remaining <= 0) return call();
        armedFault.remaining -= 1;
        const { error, midTransaction = false } = armedFault.fault;
        return new ResultAsync(pool.during({ kind: error.kind, midTransaction }, call));
      };
    },
  });
}

/**
 * The factory the suites call before every test: a new database, migrated, and a store opened on
 * it (its catalog enforcing `quotas` if given); 8 pool connections, so racing calls each get one.
 */
export const mysqlHarness = async (quotas?: ImageQuotas): Promise<StorageHarness> => {
  const db = await createTestDatabase({ poolSize: 8 });
  const pool = new FaultPool(db.pool);
  let storage: Awaited<ReturnType<typeof openMysqlStorage>>;
  try {
    storage = await openMysqlStorage(pool, { quotas });
  } catch (error) {
    await pool.end();
    await db.close();
    throw error;
  }
  const armed = new Map<StoragePortMethod, Armed>();
  return {
    images: withFaults(storage.images, armed, pool),
    catalog: withFaults(storage.catalog, armed, pool),
    jobs: withFaults(storage.jobs, armed, pool),
    outbox: withFaults(storage.outbox, armed, pool),
    injectFault: (fault) => {
      armed.set(fault.method, { fault, remaining: fault.times ?? 1 });
    },
    async close() {
      await pool.end();
      await db.close();
    },
  };
};
