// The defect a port module throws inside its transaction when a row changed in a way only a bug or a hand-edited database can cause.

/** Rolls the transaction back; the port answers `StorageFault`. */
export class StoreInvariantError extends Error {
  override readonly name = 'StoreInvariantError';
}
