// Fault injection for MemoryImageDataStore: failing, and hanging until released, deletes and writes.
import type { DataStoreError } from '@image-catalog/core';
import { FaultRegistry, type InjectedFault } from './fault-registry.js';

export type DataStoreOperation = 'delete' | 'write';

export interface DataStoreFault {
  /** Which calls fail (default `delete`). */
  readonly operation?: DataStoreOperation;
  /** The answer: a kind (with a stock message) or a full error. */
  readonly error: DataStoreError['kind'] | DataStoreError;
  /** How many calls fail (default 1; `Infinity` until removed or cleared). */
  readonly times?: number;
}

/** Calls held by `hang()`: they neither resolve nor fail until released. */
export interface DataStoreHang {
  /** Calls currently held. */
  readonly waiting: number;
  /** Resolves once at least one call is held, so a test can wait for it without timers. */
  reached(): Promise<void>;
  /** Lets held calls carry on (they then do their work normally) and stops holding new ones. */
  release(): void;
}

function toError(error: DataStoreFault['error'], operation: DataStoreOperation): DataStoreError {
  if (typeof error !== 'string') return { ...error };
  const message = `injected ${error} on ${operation}`;
  return error === 'DataStoreRejected' ? { kind: error, message } : { kind: error, message, cause: new Error(message) };
}

class Hang implements DataStoreHang {
  #waiting = 0;
  #released = false;
  #resolveReached!: () => void;
  readonly #reached = new Promise<void>((resolve) => {
    this.#resolveReached = resolve;
  });
  #resolveRelease!: () => void;
  readonly #release = new Promise<void>((resolve) => {
    this.#resolveRelease = resolve;
  });

  constructor(
    readonly operation: DataStoreOperation,
    private readonly onRelease: (hang: Hang) => void,
  ) {}

  get waiting(): number {
    return this.#waiting;
  }

  get released(): boolean {
    return this.#released;
  }

  reached(): Promise<void> {
    return this.#reached;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.onRelease(this);
    this.#resolveRelease();
  }

  async hold(): Promise<void> {
    this.#waiting += 1;
    this.#resolveReached();
    await this.#release;
    this.#waiting -= 1;
  }
}

/** The faults armed on one data store. */
export class MemoryDataStoreFaults {
  readonly #registry = new FaultRegistry<DataStoreFault>();
  #hangs: Hang[] = [];

  /** Arms a fault: `faults.inject({ error: 'DataStoreUnavailable', times: 2 })`. */
  inject(fault: DataStoreFault): InjectedFault {
    return this.#registry.add(fault, fault.times ?? 1);
  }

  /** The next `count` calls of `operation` fail with `kind`. */
  failNext(count: number, kind: DataStoreError['kind'] = 'DataStoreUnavailable', operation: DataStoreOperation = 'delete'): InjectedFault {
    return this.inject({ operation, error: kind, times: count });
  }

  /** Every call of `operation` fails with `kind` until the fault is removed or `clear()`ed. */
  failAlways(kind: DataStoreError['kind'] = 'DataStoreUnavailable', operation: DataStoreOperation = 'delete'): InjectedFault {
    return this.inject({ operation, error: kind, times: Infinity });
  }

  /** Holds every call of `operation` (default `delete`) until `release()`: a store that stopped answering. */
  hang(operation: DataStoreOperation = 'delete'): DataStoreHang {
    const hang = new Hang(operation, (h) => {
      this.#hangs = this.#hangs.filter((x) => x !== h);
    });
    this.#hangs.push(hang);
    return hang;
  }

  /** Disarms every fault and releases every hang. */
  clear(): void {
    this.#registry.clear();
    for (const hang of [...this.#hangs]) hang.release();
  }

  /** Called by the data store on each call: waits out any hang, then answers the armed error, if any. */
  async check(operation: DataStoreOperation): Promise<DataStoreError | undefined> {
    // Bounded: each hang is waited for once, and a released hang never holds again.
    for (const hang of this.#hangs.filter((h) => h.operation === operation)) {
      if (!hang.released) await hang.hold();
    }
    const fault = this.#registry.take((f) => (f.operation ?? 'delete') === operation);
    return fault === undefined ? undefined : toError(fault.error, operation);
  }
}
