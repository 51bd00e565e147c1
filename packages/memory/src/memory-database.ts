// The memory adapter's "connection": one state all four ports read and replace, one whole transaction at a time.
import { storageFault, type StorageError } from '@image-catalog/core';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { MemoryStoreFaults, type MemoryStoreMethod } from './memory-store-faults.js';
import { emptyMemoryState, MemoryTransaction, TransactionAborted, type MemoryState } from './memory-transaction.js';

/**
 * What the memory ports share, like one database, so a delete's image row, jobs and event commit
 * together. Every transaction runs to the end synchronously before its `ResultAsync` is returned,
 * so interleaved async callers see each other's steps as whole transactions (of N concurrent
 * deletes of one image exactly one wins). Every value going out is copied: callers never alias
 * the stored state.
 *
 * `faults` arms failures for tests; a failure at any step leaves the state as it was.
 */
export class MemoryDatabase {
  readonly faults = new MemoryStoreFaults();
  #state: MemoryState = emptyMemoryState;

  /** Runs `work` as one transaction of `method`: commits what it wrote, or nothing when a fault or defect aborts it. */
  transact<T>(method: MemoryStoreMethod, work: (tx: MemoryTransaction) => T): ResultAsync<T, StorageError> {
    const tx = new MemoryTransaction(this.#state, (step) => this.faults.check(method, step));
    try {
      tx.step('begin');
      const value = work(tx);
      tx.step('commit');
      this.#state = tx.result();
      return okAsync(structuredClone(value));
    } catch (cause) {
      if (cause instanceof TransactionAborted) return errAsync(cause.error);
      // The adapter edge: a bug in this store (or a `decide` that throws) becomes a fault, never a rejection.
      return errAsync(storageFault(cause));
    }
  }
}
