// "Set protected=true" racing a delete: the delete either commits first or answers ImageProtected, never both.
import { afterAll, describe, expect, it } from 'vitest';
import type BetterSqlite3 from 'better-sqlite3';
import { DeleteImage, defaultDeletePolicy, systemClock, type DeleteImageRequest, type DeletePolicy, type Image } from '@image-catalog/core';
import { expectProtectRaceOutcomes, raceFigures, seededRandom } from '@image-catalog/testkit';
import { openDatabase } from './open-database.js';
import { createSqliteStorage } from './sqlite-storage.js';
import { ownerMember, sampleImage, tempDir, uuidFor } from './test-support/fixtures.js';
import { runWorkers } from './test-support/spawn-workers.js';

const ROUNDS = 300;
const IMAGES = 200;

/** Lets the event loop run a random number of microtask turns, to vary where the two sides interleave. */
async function yieldTimes(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

function rowOf(db: BetterSqlite3.Database, imageId: string) {
  return db.prepare('SELECT status, deleted, protected FROM images WHERE id = ?').get(imageId) as {
    status: string;
    deleted: number;
    protected: number;
  };
}

describe('protect versus delete', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it.each([
    ['default policy: single read inside the transaction', defaultDeletePolicy, false],
    ['async-only policy: findById first', { canDelete: defaultDeletePolicy.canDelete } satisfies DeletePolicy, true],
  ] as const)(
    `two connections on one file, ${ROUNDS} rounds (%s): each ends deleted-unprotected or protected-live-refused`,
    async (label, policy, readsFirst) => {
      const path = dir.file(`two-connections-${readsFirst ? 'reads-first' : 'single-read'}.db`);
      const a = openDatabase(path);
      const b = openDatabase(path);
      try {
        const deleter = createSqliteStorage(a);
        const protector = createSqliteStorage(b);
        const random = seededRandom(42);
        const seen = { deleted: 0, protectedFirst: 0, protectedAtCommit: 0 };

        for (let round = 0; round < ROUNDS; round++) {
          const imageId = uuidFor(round, 0x9a);
          expect((await protector.catalog.createImage(sampleImage(imageId), new Date())).isOk()).toBe(true);
          // The delete's pre-check and its transaction are separate steps; the protect lands before, between or after them.
          const deleteDelay = Math.floor(random() * 8);
          const protectDelay = Math.floor(random() * 40);
          let committedDecision: string | null = null;
          const counting = {
            findById: (id: string) => deleter.images.findById(id),
            restoreImage: (id: string, now: Date) => deleter.images.restoreImage(id, now),
            deleteImage: (request: DeleteImageRequest) => deleter.images.deleteImage(request).map((o) => ((committedDecision = o.kind), o)),
          };
          const [deleted, protectedImage] = await Promise.all([
            yieldTimes(deleteDelay).then(() =>
              new DeleteImage(counting, policy, systemClock, null).execute({ imageId, principal: ownerMember }),
            ),
            yieldTimes(protectDelay).then(() => protector.catalog.updateImage(imageId, { protected: true }, new Date())),
          ]);
          const protectResult: Image | null = protectedImage._unsafeUnwrap();
          const row = rowOf(a, imageId);

          if (deleted.isOk()) {
            seen.deleted += 1;
            expect(protectResult).toBeNull();
            expect(row).toEqual({ status: 'deleted', deleted: 1, protected: 0 });
          } else {
            expect(deleted.error.kind).toBe('ImageProtected');
            expect(protectResult?.protected).toBe(true);
            expect(row).toEqual({ status: 'active', deleted: 0, protected: 1 });
            if (committedDecision === 'Protected') seen.protectedAtCommit += 1;
            else seen.protectedFirst += 1;
          }
        }
        console.log(
          `[sqlite protect race] two connections (${label}) rounds=${ROUNDS} deleted=${seen.deleted} protected-before-delete=${seen.protectedFirst} protected-decided-at-commit=${seen.protectedAtCommit}`,
        );
        // Every interleaving happened, so the commit-time condition was really exercised. With either
        // policy there is no protected pre-check: every refusal is decided inside the transaction.
        expect(seen.deleted).toBeGreaterThan(0);
        expect(seen.protectedFirst).toBe(0);
        expect(seen.protectedAtCommit).toBeGreaterThan(0);
      } finally {
        a.close();
        b.close();
      }
    },
  );

  it(`across processes (3 deleting, 1 protecting, ${IMAGES} images): never deleted while protected`, async () => {
    const dbPath = dir.file('processes.db');
    const db = openDatabase(dbPath);
    try {
      const store = createSqliteStorage(db);
      const ids = Array.from({ length: IMAGES }, (_, i) => uuidFor(i, 0x9b));
      for (const id of ids) expect((await store.catalog.createImage(sampleImage(id), new Date())).isOk()).toBe(true);

      // Three deleters against one protector: a protect is a single statement, a delete a read plus a
      // transaction, so this mix lets both sides win a fair share of the images.
      const results = await runWorkers([
        { mode: 'delete', dbPath, seed: 1, busyTimeoutMs: 5_000 },
        { mode: 'delete', dbPath, seed: 2, busyTimeoutMs: 5_000 },
        { mode: 'delete', dbPath, seed: 3, busyTimeoutMs: 5_000 },
        { mode: 'protect', dbPath, seed: 4, busyTimeoutMs: 5_000 },
      ]);
      const deletedCount = await expectProtectRaceOutcomes(ids, results, {
        row: async (id) => {
          const row = rowOf(db, id);
          return { status: row.status, deleted: row.deleted === 1, protected: row.protected === 1 };
        },
        events: async () => db.prepare('SELECT count(*) FROM outbox_events').pluck().get() as number,
      });
      console.log(
        `[sqlite protect race] processes=4 images=${IMAGES} deleted=${deletedCount} protected=${IMAGES - deletedCount} ` +
          `decided-at-commit=${raceFigures(results).decidedInStore}`,
      );
    } finally {
      db.close();
    }
  }, 60_000);
});
