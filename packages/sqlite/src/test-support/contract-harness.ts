// The testkit harness for SQLite: a fresh database file per test, faults injected through SQLite itself.
import { errAsync } from 'neverthrow';
import type BetterSqlite3 from 'better-sqlite3';
import type { StorageHarness, StorageFaultInjection } from '@image-catalog/testkit';
import { openDatabase } from '../open-database.js';
import { SqliteImageStore } from '../sqlite-image-store.js';
import { tempDir } from './fixtures.js';

const WRITTEN_TABLES = ['images', 'image_properties', 'image_tags', 'image_members', 'image_locations', 'data_deletion_jobs', 'outbox_events'];

interface Armed {
  readonly fault: StorageFaultInjection;
  remaining: number;
}

/**
 * Mid-transaction faults go through the real adapter: temporary AFTER triggers on every table
 * call a function that throws while the armed method runs, so the first row written is followed
 * by an error SQLite and the adapter must roll back. A lock-style error carries SQLITE_BUSY so the
 * adapter's own mapping turns it into StorageUnavailable. Faults "before the method touches
 * anything" never reach SQLite: the wrapper answers the error itself.
 */
class SqliteFaults {
  readonly #armed = new Map<string, Armed>();
  #active: Armed | null = null;
  #fired = false;

  constructor(db: BetterSqlite3.Database) {
    db.function('contract_fault', () => {
      if (this.#active === null) return null;
      this.#fired = true;
      const code = this.#active.fault.error.kind === 'StorageUnavailable' ? 'SQLITE_BUSY' : 'SQLITE_INJECTED_FAULT';
      throw Object.assign(new Error(`injected ${this.#active.fault.error.kind}`), { code });
    });
    for (const table of WRITTEN_TABLES) {
      for (const event of ['INSERT', 'UPDATE']) {
        db.exec(`CREATE TEMP TRIGGER contract_fault_${table}_${event.toLowerCase()} AFTER ${event} ON main.${table} BEGIN SELECT contract_fault(); END`);
      }
    }
  }

  arm(fault: StorageFaultInjection): void {
    this.#armed.set(fault.method, { fault, remaining: fault.times ?? 1 });
  }

  /** Wraps every port method of `store` so armed faults apply to it. */
  wrap(store: SqliteImageStore): SqliteImageStore {
    return new Proxy(store, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        return (...args: unknown[]) => {
          const armed = this.#armed.get(property);
          if (armed === undefined || armed.remaining <= 0) return value.apply(target, args);
          if (!armed.fault.midTransaction) {
            armed.remaining -= 1;
            return errAsync(armed.fault.error);
          }
          // The store does all its database work synchronously inside the call.
          this.#active = armed;
          this.#fired = false;
          try {
            return value.apply(target, args);
          } finally {
            if (this.#fired) armed.remaining -= 1;
            this.#active = null;
          }
        };
      },
    });
  }
}

/** A `StorageHarnessFactory` for the testkit suites. */
export function sqliteHarness(): StorageHarness {
  const dir = tempDir('image-catalog-contract-');
  const db = openDatabase(dir.file('catalog.db'));
  const faults = new SqliteFaults(db);
  const store = faults.wrap(new SqliteImageStore(db));
  return {
    images: store,
    jobs: store,
    outbox: store,
    injectFault: (fault) => faults.arm(fault),
    async close() {
      db.close();
      dir.cleanup();
    },
  };
}
