// The assertion of the multi-process protect-versus-delete proof: each image ended deleted-unprotected or protected-live, never both.
import { expect } from 'vitest';
import type { RaceWorkerResult } from './race-protocol.js';

/** An image row as the proof reads it back, flags as booleans whatever the driver answers. */
export interface ProtectRaceRow {
  readonly status: string;
  readonly deleted: boolean;
  readonly protected: boolean;
}

/**
 * For workers that raced over `ids`: every result but the last from a `delete` worker, the last
 * from the `protect` worker. Each image is either deleted and unprotected (one deleter won, the
 * others got `ImageNotFound`, the protector found it `gone`) or active and protected (the protect
 * won and every deleter got `ImageProtected`), and the store holds one event per deleted image.
 * Answers how many images ended deleted.
 */
export async function expectProtectRaceOutcomes(
  ids: readonly string[],
  results: readonly RaceWorkerResult[],
  store: { row(id: string): Promise<ProtectRaceRow | undefined>; events(): Promise<number> },
): Promise<number> {
  const deleters = results.slice(0, -1).map((r) => r.outcomes);
  const protector = results.at(-1)?.outcomes ?? {};
  let deleted = 0;
  for (const id of ids) {
    const row = await store.row(id);
    const deletes = deleters.map((o) => o[id]);
    if (row?.deleted === true) {
      deleted += 1;
      // Not protected when the delete committed: the protect came after and found it gone.
      expect(row).toEqual({ status: 'deleted', deleted: true, protected: false });
      expect(deletes.filter((d) => d === 'ok')).toHaveLength(1);
      // The other deleters found it deleted; none was told "protected", since a protect never applies to a deleted image.
      expect(deletes.filter((d) => d !== 'ok').every((d) => d === 'ImageNotFound')).toBe(true);
      expect(protector[id]).toBe('gone');
    } else {
      expect(row).toEqual({ status: 'active', deleted: false, protected: true });
      expect(protector[id]).toBe('ok');
      // Protected before any delete committed: every deleter was refused, none half-applied.
      expect(deletes.every((d) => d === 'ImageProtected')).toBe(true);
    }
  }
  expect(await store.events()).toBe(deleted);
  return deleted;
}
