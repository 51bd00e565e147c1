// One delete on each side as a timed operation: `null` for the expected outcome, otherwise what happened.
import type BetterSqlite3 from 'better-sqlite3';
import { BENCH_PRINCIPAL, BENCH_PROJECT } from './database.js';
import { createLibraryDelete, type LibraryWiring } from './library.js';
import { createRawDelete } from './raw-delete.js';
import type { TimedOperation } from './timing.js';

export function libraryOperation(db: BetterSqlite3.Database, wiring: LibraryWiring = { dataStore: null }): TimedOperation {
  const deleteImage = createLibraryDelete(db, wiring);
  return async (imageId) => {
    const result = await deleteImage.execute({ imageId, principal: BENCH_PRINCIPAL });
    return result.isOk() ? null : result.error.kind;
  };
}

/** Synchronous, like the code it stands for: no promise is added to its time. */
export function baselineOperation(db: BetterSqlite3.Database): TimedOperation {
  const rawDelete = createRawDelete(db);
  return (imageId) => {
    const outcome = rawDelete(imageId, BENCH_PROJECT);
    return outcome === 'deleted' ? null : outcome;
  };
}
