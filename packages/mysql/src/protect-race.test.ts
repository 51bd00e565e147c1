// "Set protected=true" racing a delete across pools and processes: the delete commits first or answers ImageProtected, never both.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeleteImage, defaultDeletePolicy, systemClock, type Image, type ImageRepository } from '@image-catalog/core';
import { expectProtectRaceOutcomes, FIXTURE_OWNER, imageFixture, projectMember, raceFigures } from '@image-catalog/testkit';
import type { Pool } from 'mysql2/promise';
import { openMysqlStorage, type MysqlStorage } from './open-mysql-storage.js';
import { waitUntilBlocked } from './test-support/lock-waits.js';
import { runWorkers } from './test-support/spawn-workers.js';
import { countRows, createTestDatabase, mysqlUnreachable, skipNote, testPool, type TestDatabase } from './test-support/test-database.js';

const ROUNDS = 100;
const PROCESS_IMAGES = 200;

interface ImageState {
  readonly status: string;
  readonly deleted: number;
  readonly protected: number;
}

describe.skipIf(mysqlUnreachable !== null)(`mysql: protect versus delete${skipNote}`, () => {
  let db: TestDatabase;
  let secondPool: Pool;
  let deleter: MysqlStorage;
  let protector: MysqlStorage;

  // Each test on a fresh database; the deleter and the protector each have a pool, as two server processes would.
  beforeEach(async () => {
    db = await createTestDatabase();
    secondPool = testPool(db.name, { connectionLimit: 4 });
    deleter = await openMysqlStorage(db.pool);
    protector = await openMysqlStorage(secondPool);
  });

  afterEach(async () => {
    await secondPool.end();
    await db.close();
  });

  const remove = (id: string, images: ImageRepository = deleter.images) =>
    new DeleteImage(images, defaultDeletePolicy, systemClock, null).execute({ imageId: id, principal: projectMember(FIXTURE_OWNER) });
  const protect = async (id: string) => (await protector.catalog.updateImage(id, { protected: true }, new Date()))._unsafeUnwrap();
  const newImage = async (): Promise<Image> => (await deleter.catalog.createImage(imageFixture(), new Date()))._unsafeUnwrap();

  async function state(id: string): Promise<{ row: ImageState | undefined; events: number; jobs: number }> {
    const [rows] = await db.pool.query('SELECT status, deleted, protected FROM images WHERE id = ?', [id]);
    return {
      row: (rows as ImageState[])[0],
      events: await countRows(db.pool, 'outbox_events', 'image_id = ?', [id]),
      jobs: await countRows(db.pool, 'data_deletion_jobs', 'image_id = ?', [id]),
    };
  }

  it('a protect holding the row lock makes the delete wait, then answer ImageProtected: nothing written', async () => {
    const image = await newImage();
    const holder = await secondPool.getConnection();
    try {
      await holder.query('START TRANSACTION');
      await holder.query('UPDATE images SET protected = TRUE WHERE id = ?', [image.id]);
      const deleting = remove(image.id);
      await waitUntilBlocked(db.pool, 'FOR UPDATE');
      await holder.query('COMMIT');
      expect((await deleting)._unsafeUnwrapErr().kind).toBe('ImageProtected');
    } finally {
      holder.release();
    }
    expect(await state(image.id)).toEqual({ row: { status: 'active', deleted: 0, protected: 1 }, events: 0, jobs: 0 });
  });

  it('a delete holding the row lock makes the protect wait, then find no live image (null): deleted unprotected', async () => {
    const image = await newImage();
    let protecting: Promise<Image | null> | undefined;
    // The delete decides inside its transaction: protect is started there, after the row lock is taken.
    const result = await new DeleteImage(
      {
        findById: (id) => deleter.images.findById(id),
        restoreImage: (id, now) => deleter.images.restoreImage(id, now),
        deleteImage: (request) =>
          deleter.images.deleteImage({
            imageId: request.imageId,
            decide: (current) => {
              protecting ??= protect(image.id);
              return request.decide(current);
            },
          }),
      },
      defaultDeletePolicy,
      systemClock,
      null,
    ).execute({ imageId: image.id, principal: projectMember(FIXTURE_OWNER) });
    expect(result.isOk()).toBe(true);
    expect(await protecting).toBeNull();
    expect(await state(image.id)).toEqual({ row: { status: 'deleted', deleted: 1, protected: 0 }, events: 1, jobs: 1 });
  });

  it(`free race on two pools, ${ROUNDS} rounds: each ends deleted-unprotected or protected-live-refused`, async () => {
    const seen = { deleted: 0, refused: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const image = await newImage();
      // Vary who leaves first by a few event-loop turns, deterministically per round.
      const stagger = (n: number) =>
        new Promise<void>((resolve) => (n === 0 ? resolve() : setImmediate(() => stagger(n - 1).then(resolve))));
      const [deleted, protectedImage] = await Promise.all([
        stagger(round % 3).then(() => remove(image.id)),
        stagger((round * 7) % 4).then(() => protect(image.id)),
      ]);
      const after = await state(image.id);
      if (deleted.isOk()) {
        seen.deleted += 1;
        expect(protectedImage).toBeNull();
        expect(after).toEqual({ row: { status: 'deleted', deleted: 1, protected: 0 }, events: 1, jobs: 1 });
      } else {
        seen.refused += 1;
        expect(deleted.error.kind).toBe('ImageProtected');
        expect(protectedImage?.protected).toBe(true);
        expect(after).toEqual({ row: { status: 'active', deleted: 0, protected: 1 }, events: 0, jobs: 0 });
      }
    }
    console.log(`[mysql protect race] two pools rounds=${ROUNDS} deleted=${seen.deleted} protected=${seen.refused}`);
    expect(seen.deleted + seen.refused).toBe(ROUNDS);
  }, 60_000);

  it(`across processes (3 deleting, 1 protecting, ${PROCESS_IMAGES} images): never deleted while protected`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < PROCESS_IMAGES; i++) ids.push((await newImage()).id);

    // Deleters start at different places; the protector walks the list from the start.
    const results = await runWorkers([
      { mode: 'delete', url: db.url, offset: 0, poolSize: 2 },
      { mode: 'delete', url: db.url, offset: PROCESS_IMAGES / 2, poolSize: 2 },
      { mode: 'delete', url: db.url, offset: PROCESS_IMAGES / 4, poolSize: 2 },
      { mode: 'protect', url: db.url, offset: 0, poolSize: 2 },
    ]);
    const deletedCount = await expectProtectRaceOutcomes(ids, results, {
      row: async (id) => {
        const { row } = await state(id);
        return row === undefined ? undefined : { status: row.status, deleted: row.deleted === 1, protected: row.protected === 1 };
      },
      events: () => countRows(db.pool, 'outbox_events'),
    });
    const figures = raceFigures(results);
    console.log(
      `[mysql protect race] processes=4 images=${PROCESS_IMAGES} deleted=${deletedCount} protected=${PROCESS_IMAGES - deletedCount} decided-in-store=${figures.decidedInStore}`,
    );
  }, 120_000);
});
