// What a storage adapter hands the contract suites: its ports over one fresh, empty store.
import type { DataDeletionJobQueue, EventOutbox, ImageRepository, StorageError } from '@image-catalog/core';
import type { ImageCatalog } from '@image-catalog/core/authoring';

/** Any method of the storage ports. */
export type StoragePortMethod = keyof ImageRepository | keyof ImageCatalog | keyof DataDeletionJobQueue | keyof EventOutbox;

/** A failure the adapter itself should produce, for the suites' fault tests. */
export interface StorageFaultInjection {
  readonly method: StoragePortMethod;
  readonly error: StorageError;
  /**
   * `true`: fail after the transaction has written part of its changes, so the adapter must roll
   * them back; `false` (default): fail before the method touches anything.
   */
  readonly midTransaction?: boolean;
  /** How many calls fail (default 1). */
  readonly times?: number;
}

export interface StorageHarness {
  /** The delete side. All four ports share one store (one connection), so a delete's image row, jobs and event share a transaction. */
  readonly images: ImageRepository;
  /** The authoring side, used to seed and change images. */
  readonly catalog: ImageCatalog;
  readonly jobs: DataDeletionJobQueue;
  readonly outbox: EventOutbox;
  /**
   * Optional: make the next call(s) of a method fail inside the adapter. Suites skip the tests
   * that need it when it is missing.
   */
  injectFault?(fault: StorageFaultInjection): void | Promise<void>;
  /** Releases what the harness opened (connections, temporary files). */
  close(): Promise<void>;
}

/** Called before every test: each test gets its own empty store. */
export type StorageHarnessFactory = () => Promise<StorageHarness> | StorageHarness;
