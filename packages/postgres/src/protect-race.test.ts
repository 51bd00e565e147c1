// "Set protected=true" racing a delete across pools and processes: the delete commits first or answers ImageProtected, never both.
import { describe, expect, it } from 'vitest';
import { defaultDeletePolicy, type DeletePolicy, type Image } from '@image-catalog/core';
import { expectProtectRaceOutcomes, imageFixture, raceFigures } from '@image-catalog/testkit';
import { openPostgresStorage } from './postgres-storage.js';
import {
  asyncOnlyDeletePolicy,
  deleteImageUseCase,
  imageRow,
  ownerMember,
  sideEffects,
  waitUntilBlocked,
} from './test-support/fixtures.js';
import { InstrumentedPool, named } from './test-support/instrumented-pool.js';
import { runWorkers } from './test-support/spawn-workers.js';
import { clearTables, postgresUnreachable, skipNote, TEST_PG_URL } from './test-support/test-database.js';
import { useSchemaWithSecondPool } from './test-support/use-test-schema.js';

const ROUNDS = 200;
const PROCESS_IMAGES = 200;

describe.skipIf(postgresUnreachable !== null)(`postgres: protect versus delete${skipNote}`, () => {
  const db = useSchemaWithSecondPool({ secondPoolSize: 4 });

  /** A deleter on `db.pool` and a protector on `db.secondPool`, each behind an instrumented wrapper. */
  async function actors(policy: DeletePolicy = defaultDeletePolicy) {
    const deleterPool = new InstrumentedPool(db.pool);
    const protectorPool = new InstrumentedPool(db.secondPool);
    const deleter = (await openPostgresStorage(deleterPool, { schema: db.schema })).images;
    const protector = (await openPostgresStorage(protectorPool, { schema: db.schema })).catalog;
    const protect = async (id: string) => (await protector.updateImage(id, { protected: true }, new Date()))._unsafeUnwrap();
    const remove = (id: string) =>
      deleteImageUseCase(deleter, undefined, undefined, policy).execute({ imageId: id, principal: ownerMember });
    return { deleterPool, protectorPool, protect, remove };
  }

  async function newImage(): Promise<Image> {
    const { catalog } = await openPostgresStorage(db.pool, { schema: db.schema });
    return (await catalog.createImage(imageFixture(), new Date()))._unsafeUnwrap();
  }

  async function expectProtectedAndUntouched(id: string) {
    expect(await imageRow(db.pool, db.schema, id)).toEqual({ status: 'active', deleted: false, protected: true });
    expect(await sideEffects(db.pool, db.schema, id)).toEqual({ events: 0, jobs: 0 });
  }

  describe('every interleaving, forced step by step across two pools', () => {
    it('protect commits before the delete starts: ImageProtected from the use case check', async () => {
      const { protect, remove } = await actors();
      const image = await newImage();
      expect(await protect(image.id)).not.toBeNull();
      const result = await remove(image.id);
      expect(result._unsafeUnwrapErr().kind).toBe('ImageProtected');
      await expectProtectedAndUntouched(image.id);
    });

    it('protect commits between the use case check and the repository (async-only policy: findById first): the repository answers Protected', async () => {
      const { deleterPool, protect, remove } = await actors(asyncOnlyDeletePolicy);
      const image = await newImage();
      let reads = 0;
      // The use case reads once, then the repository reads again: protect right before that second read.
      deleterPool.before(
        (c) => named('findById')(c, 0) && ++reads === 2,
        async () => void (await protect(image.id)),
      );
      expect((await remove(image.id))._unsafeUnwrapErr().kind).toBe('ImageProtected');
      expect(deleterPool.log.filter((q) => q.endsWith('_deleteImage'))).toEqual([]);
      await expectProtectedAndUntouched(image.id);
    });

    it('protect commits between the repository read and its guarded write: the write applies nothing, the retry answers Protected', async () => {
      const { deleterPool, protect, remove } = await actors();
      const image = await newImage();
      deleterPool.before(named('deleteImage'), async () => void (await protect(image.id)));
      expect((await remove(image.id))._unsafeUnwrapErr().kind).toBe('ImageProtected');
      // One guarded write was sent and lost; the store read again and refused.
      expect(deleterPool.log.filter((q) => q.endsWith('_deleteImage'))).toHaveLength(1);
      await expectProtectedAndUntouched(image.id);
    });

    it('the guarded write waits on the row lock of an uncommitted protect, then re-checks the new row: Protected', async () => {
      const { protectorPool, protect, remove } = await actors();
      const image = await newImage();
      let deleting: ReturnType<typeof remove> | undefined;
      // Inside the protect's transaction, after its UPDATE and before its COMMIT: the row is locked.
      protectorPool.before(
        (c) => c.text === 'COMMIT',
        async () => {
          deleting = remove(image.id);
          await waitUntilBlocked(db.pool, 'WITH img AS');
        },
      );
      expect(await protect(image.id)).toMatchObject({ protected: true });
      const result = await deleting!;
      expect(result._unsafeUnwrapErr().kind).toBe('ImageProtected');
      await expectProtectedAndUntouched(image.id);
    });

    it('the delete commits first: the protect finds no live image (null) and the image is deleted unprotected', async () => {
      const { protect, remove } = await actors();
      const image = await newImage();
      expect((await remove(image.id)).isOk()).toBe(true);
      expect(await protect(image.id)).toBeNull();
      expect(await imageRow(db.pool, db.schema, image.id)).toEqual({ status: 'deleted', deleted: true, protected: false });
      expect(await sideEffects(db.pool, db.schema, image.id)).toEqual({ events: 1, jobs: 1 });
    });
  });

  it(`free race on two pools, ${ROUNDS} rounds: each ends deleted-unprotected or protected-live-refused`, async () => {
    const { protect, remove } = await actors();
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
      const row = await imageRow(db.pool, db.schema, image.id);
      const effects = await sideEffects(db.pool, db.schema, image.id);
      if (deleted.isOk()) {
        seen.deleted += 1;
        expect(protectedImage).toBeNull();
        expect(row).toEqual({ status: 'deleted', deleted: true, protected: false });
        expect(effects).toEqual({ events: 1, jobs: 1 });
      } else {
        seen.refused += 1;
        expect(deleted.error.kind).toBe('ImageProtected');
        expect(protectedImage?.protected).toBe(true);
        expect(row).toEqual({ status: 'active', deleted: false, protected: true });
        expect(effects).toEqual({ events: 0, jobs: 0 });
      }
    }
    console.log(`[postgres protect race] two pools rounds=${ROUNDS} deleted=${seen.deleted} protected=${seen.refused}`);
    expect(seen.deleted + seen.refused).toBe(ROUNDS);
  }, 60_000);

  it(`across processes (3 deleting, 1 protecting, ${PROCESS_IMAGES} images): never deleted while protected`, async () => {
    const { catalog } = await openPostgresStorage(db.pool, { schema: db.schema });
    await clearTables(db.pool, db.schema);
    const ids: string[] = [];
    for (let i = 0; i < PROCESS_IMAGES; i++) ids.push((await catalog.createImage(imageFixture(), new Date()))._unsafeUnwrap().id);

    // Deleters start at different places; the protector walks the list from the start.
    const results = await runWorkers([
      { mode: 'delete', url: TEST_PG_URL, schema: db.schema, offset: 0, poolSize: 2 },
      { mode: 'delete', url: TEST_PG_URL, schema: db.schema, offset: PROCESS_IMAGES / 2, poolSize: 2 },
      { mode: 'delete', url: TEST_PG_URL, schema: db.schema, offset: PROCESS_IMAGES / 4, poolSize: 2 },
      { mode: 'protect', url: TEST_PG_URL, schema: db.schema, offset: 0, poolSize: 2 },
    ]);
    const deletedCount = await expectProtectRaceOutcomes(ids, results, {
      row: (id) => imageRow(db.pool, db.schema, id),
      events: async () =>
        (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${db.schema}".outbox_events`)).rows[0]?.n ?? 0,
    });
    const figures = raceFigures(results);
    console.log(
      `[postgres protect race] processes=4 images=${PROCESS_IMAGES} deleted=${deletedCount} protected=${PROCESS_IMAGES - deletedCount} ` +
        `decided-in-store=${figures.decidedInStore} guarded-writes-lost=${figures.counters['guardedWritesLost'] ?? 0}`,
    );
  }, 120_000);
});
