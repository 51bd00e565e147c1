// Fault injection for the memory storage: make a port method fail before, during or at the end of its transaction.
import type { StorageError } from '@image-catalog/core';
import { FaultRegistry, type InjectedFault } from './fault-registry.js';

/**
 * The points inside each method where a fault can fire, in the order they are reached.
 * `begin` is before anything is read; `commit` is after every write of the transaction has been
 * prepared and just before it would become visible; the steps in between fire mid-transaction, after
 * part of the new state has been computed. A fault at any step leaves the store unchanged.
 * Steps after `begin` are only reached on the path that writes (e.g. `deleteImage` reaching
 * `jobs` means the delete was going to succeed).
 */
export const MEMORY_STORE_STEPS = {
  '*': ['begin'],
  findById: ['begin', 'commit'],
  deleteImage: ['begin', 'image', 'jobs', 'outbox', 'commit'],
  restoreImage: ['begin', 'image', 'jobs', 'commit'],
  createImage: ['begin', 'commit'],
  listImages: ['begin', 'commit'],
  updateImage: ['begin', 'commit'],
  addMember: ['begin', 'commit'],
  attachImageData: ['begin', 'commit'],
  claimDue: ['begin', 'commit'],
  complete: ['begin', 'job', 'location', 'image', 'commit'],
  fail: ['begin', 'commit'],
  listJobs: ['begin', 'commit'],
  requeueDead: ['begin', 'commit'],
  counts: ['begin', 'commit'],
  nextDueAt: ['begin', 'commit'],
  purgeDeletedChildren: ['begin', 'children', 'commit'],
  claimPending: ['begin', 'commit'],
  markDelivered: ['begin', 'commit'],
  markFailed: ['begin', 'commit'],
  listEvents: ['begin', 'commit'],
} as const satisfies Record<string, readonly ['begin', ...string[]]>;

/** A method of the memory storage's ports, or `'*'` for every one of them. */
export type MemoryStoreFaultTarget = keyof typeof MEMORY_STORE_STEPS;
export type MemoryStoreMethod = Exclude<MemoryStoreFaultTarget, '*'>;
export type MemoryStoreStep<M extends MemoryStoreFaultTarget = MemoryStoreFaultTarget> = (typeof MEMORY_STORE_STEPS)[M][number];

export interface MemoryStoreFault<M extends MemoryStoreFaultTarget = MemoryStoreFaultTarget> {
  readonly method: M;
  /** Where inside the method it fires (default `begin`). */
  readonly step?: MemoryStoreStep<M>;
  /** What the method answers, e.g. `storageUnavailable()` or `storageFault()`. */
  readonly error: StorageError;
  /** How many calls fail (default 1; `Infinity` until removed or cleared). */
  readonly times?: number;
}

/** One armed fault of any method, with its step checked against that method. */
export type AnyMemoryStoreFault = { [M in MemoryStoreFaultTarget]: MemoryStoreFault<M> }[MemoryStoreFaultTarget];

/** The faults armed on one memory storage (`createMemoryStorage().faults`). */
export class MemoryStoreFaults {
  readonly #registry = new FaultRegistry<AnyMemoryStoreFault>();

  /** Arms a fault: `faults.inject({ method: 'deleteImage', step: 'jobs', error: storageFault() })`. */
  inject<M extends MemoryStoreFaultTarget>(fault: MemoryStoreFault<M>): InjectedFault {
    const steps: readonly string[] = MEMORY_STORE_STEPS[fault.method];
    if (fault.step !== undefined && !steps.includes(fault.step)) {
      throw new RangeError(`fault injection: ${fault.method} has no step "${fault.step}"`);
    }
    return this.#registry.add(fault as AnyMemoryStoreFault, fault.times ?? 1);
  }

  /** Disarms every fault. */
  clear(): void {
    this.#registry.clear();
  }

  /** Faults still armed. */
  get armed(): number {
    return this.#registry.size;
  }

  /** Called by the store at each step: the error to answer with if a fault is armed there, using up one of its calls. */
  check(method: MemoryStoreMethod, step: string): StorageError | undefined {
    const fault = this.#registry.take((f) => (f.method === method || f.method === '*') && (f.step ?? 'begin') === step);
    // A copy, so one failure's error object is never shared with the next.
    return fault === undefined ? undefined : { ...fault.error };
  }
}
