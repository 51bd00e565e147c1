// The testkit harness for SQLite: a fresh database file per test, faults injected through SQLite itself.
import { errAsync, ResultAsync } from 'neverthrow';
import type BetterSqlite3 from 'better-sqlite3';
import type { StorageHarness, StorageFaultInjection } from '@image-catalog/testkit';
import { openDatabase, type OpenDatabaseOptions } from '../open-database.js';
import { createSqliteStorage, type SqliteStorageOptions } from '../sqlite-storage.js';
import { tempDir } from './fixtures.js';

const WRITTEN_TABLES = [
  'images',
  'image_properties',
  'image_tags',
  'image_members',
  'image_locations',
  'data_deletion_jobs',
  'outbox_events',
];

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
 *
 * With group commit a delete runs later, in the batch flush, so an armed `deleteImage` stays
 * armed until its result settles and fires only on writes to that request's image: other
 * requests of the same batch are not hit. `purgeDeletedChildren` reads before it opens its
 * transaction, so it too stays armed until its result settles.
 */
class SqliteFaults {
  readonly #armed = new Map<string, Armed>();
  #active: Armed | null = null;
  #fired = false;
  #deferred: { readonly armed: Armed; readonly imageId: string; fired: boolean } | null = null;

  constructor(db: BetterSqlite3.Database) {
    db.function('contract_fault', (imageId: unknown) => {
      let armed: Armed;
      if (this.#active !== null) {
        armed = this.#active;
        this.#fired = true;
      } else if (this.#deferred !== null && this.#deferred.imageId === imageId) {
        armed = this.#deferred.armed;
        this.#deferred.fired = true;
      } else {
        return null;
      }
      const code = armed.fault.error.kind === 'StorageUnavailable' ? 'SQLITE_BUSY' : 'SQLITE_INJECTED_FAULT';
      throw Object.assign(new Error(`injected ${armed.fault.error.kind}`), { code });
    });
    for (const table of WRITTEN_TABLES) {
      const imageId = table === 'images' ? 'NEW.id' : 'NEW.image_id';
      for (const event of ['INSERT', 'UPDATE']) {
        db.exec(
          `CREATE TEMP TRIGGER contract_fault_${table}_${event.toLowerCase()} AFTER ${event} ON main.${table} BEGIN SELECT contract_fault(${imageId}); END`,
        );
      }
    }
  }

  /** A group-commit delete: armed until it settles, for writes to its own image only. */
  #deferredDelete(armed: Armed, imageId: string, call: () => ResultAsync<unknown, unknown>): ResultAsync<unknown, unknown> {
    const deferred = { armed, imageId, fired: false };
    this.#deferred = deferred;
    const settled = (async () => {
      try {
        return await call();
      } finally {
        if (deferred.fired) armed.remaining -= 1;
        if (this.#deferred === deferred) this.#deferred = null;
      }
    })();
    return new ResultAsync(settled);
  }

  /** A call whose transaction may start after it returned: armed for every write until it settles. */
  #untilSettled(armed: Armed, call: () => ResultAsync<unknown, unknown>): ResultAsync<unknown, unknown> {
    this.#active = armed;
    this.#fired = false;
    const settled = (async () => {
      try {
        return await call();
      } finally {
        if (this.#fired) armed.remaining -= 1;
        this.#active = null;
      }
    })();
    return new ResultAsync(settled);
  }

  arm(fault: StorageFaultInjection): void {
    this.#armed.set(fault.method, { fault, remaining: fault.times ?? 1 });
  }

  /** Wraps every method of one port so armed faults apply to it. */
  wrap<P extends object>(port: P, deferredDeletes: boolean): P {
    return new Proxy(port, {
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
          if (deferredDeletes && property === 'deleteImage') {
            const request = args[0] as { readonly imageId: string };
            return this.#deferredDelete(armed, request.imageId, () => value.apply(target, args) as ResultAsync<unknown, unknown>);
          }
          if (property === 'purgeDeletedChildren')
            return this.#untilSettled(armed, () => value.apply(target, args) as ResultAsync<unknown, unknown>);
          // Otherwise the store does all its database work synchronously inside the call.
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

export interface SqliteHarnessOptions {
  readonly database?: OpenDatabaseOptions;
  readonly storage?: SqliteStorageOptions;
}

/** A `StorageHarnessFactory` for the testkit suites: default database and store options. */
export function sqliteHarness(): StorageHarness {
  return sqliteHarnessWith({});
}

/** The same harness over a database and store opened with `options` (e.g. durable mode with group commit). */
export function sqliteHarnessWith(options: SqliteHarnessOptions): StorageHarness {
  const dir = tempDir('image-catalog-contract-');
  const db = openDatabase(dir.file('catalog.db'), options.database);
  const faults = new SqliteFaults(db);
  const groupCommit = options.storage?.groupCommit;
  const deferredDeletes = groupCommit !== undefined && groupCommit !== false;
  let storage: ReturnType<typeof createSqliteStorage>;
  try {
    storage = createSqliteStorage(db, options.storage);
  } catch (error) {
    db.close();
    dir.cleanup();
    throw error;
  }
  return {
    images: faults.wrap(storage.images, deferredDeletes),
    catalog: faults.wrap(storage.catalog, deferredDeletes),
    jobs: faults.wrap(storage.jobs, deferredDeletes),
    outbox: faults.wrap(storage.outbox, deferredDeletes),
    injectFault: (fault) => faults.arm(fault),
    async close() {
      db.close();
      dir.cleanup();
    },
  };
}
