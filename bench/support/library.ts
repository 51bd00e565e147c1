// The library side, wired the way a host wires it: SQLite storage behind DeleteImage, default policy and clock.
import type BetterSqlite3 from 'better-sqlite3';
import { okAsync } from 'neverthrow';
import {
  DeleteImage,
  defaultDeletePolicy,
  systemClock,
  type Clock,
  type DeleteImageOptions,
  type ImageDataStore,
} from '@image-catalog/core';
import { DataDeletionWorker } from '@image-catalog/core/workers';
import { createSqliteStorage, type SqliteStorageOptions } from '@image-catalog/sqlite';

/** A data store that answers "deleted" at once: the inline run costs only the library's own work. */
export const noopDataStore: ImageDataStore = { delete: () => okAsync(undefined) };

export interface LibraryWiring {
  /**
   * `null` (the benchmark's main case): no inline data deletion, the jobs stay queued for a
   * scrubber, exactly what the baseline leaves behind. A store runs them inline after the commit.
   */
  readonly dataStore?: ImageDataStore | null;
  readonly clock?: Clock;
  readonly store?: SqliteStorageOptions;
  readonly deleteImage?: DeleteImageOptions;
}

export function createLibraryDelete(db: BetterSqlite3.Database, wiring: LibraryWiring = {}): DeleteImage {
  const { images, jobs } = createSqliteStorage(db, wiring.store);
  const clock = wiring.clock ?? systemClock;
  const worker = wiring.dataStore ? new DataDeletionWorker(wiring.dataStore, jobs, clock) : null;
  return new DeleteImage(images, defaultDeletePolicy, clock, worker, undefined, wiring.deleteImage);
}
