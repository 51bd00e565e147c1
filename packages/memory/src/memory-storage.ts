// createMemoryStorage: the four in-memory storage ports over one shared state, and the faults armed on it.
import type { DataDeletionJobQueue, EventOutbox, ImageRepository } from '@image-catalog/core';
import { checkedImageCatalog, validImageQuotas, type ImageCatalog, type ImageQuotas } from '@image-catalog/core/authoring';
import { MemoryDatabase } from './memory-database.js';
import { MemoryImageCatalog } from './memory-image-catalog.js';
import { MemoryImageRepository } from './memory-image-repository.js';
import { MemoryJobQueue } from './memory-job-queue.js';
import { MemoryOutbox } from './memory-outbox.js';
import type { MemoryStoreFaults } from './memory-store-faults.js';

export interface MemoryStorageOptions {
  /** Ids of new data locations (default: random UUIDs); injectable for deterministic tests. Job and event ids come from core's plan. */
  readonly newId?: () => string;
  /** Per-project `image_count_total` / `image_size_total` limits the catalog enforces (default: none). */
  readonly quotas?: ImageQuotas;
}

/** The storage ports of one in-memory "database": what one port commits, the others see. */
export interface MemoryStorage {
  /** The delete side: `findById`, `deleteImage`, `restoreImage`. */
  readonly images: ImageRepository;
  readonly jobs: DataDeletionJobQueue;
  readonly outbox: EventOutbox;
  /** The authoring side, to create and change images. */
  readonly catalog: ImageCatalog;
  /** Failures armed for tests on any method of the four ports (see `MEMORY_STORE_STEPS`). */
  readonly faults: MemoryStoreFaults;
}

/**
 * A new, empty in-memory storage: a delete's image row, jobs and event commit together or not at
 * all. Throws a `RangeError` for `quotas` that are not whole numbers from 0.
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): MemoryStorage {
  const quotas = validImageQuotas(options.quotas, 'createMemoryStorage');
  const db = new MemoryDatabase();
  return {
    images: new MemoryImageRepository(db),
    jobs: new MemoryJobQueue(db),
    outbox: new MemoryOutbox(db),
    catalog: checkedImageCatalog(new MemoryImageCatalog(db, options.newId ?? (() => globalThis.crypto.randomUUID()), quotas)),
    faults: db.faults,
  };
}
