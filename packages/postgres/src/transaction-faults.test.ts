// Every port method fails at each of its round trips in turn: the error is a value of the right kind and the tables are unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultAsync } from 'neverthrow';
import type { StorageError } from '@image-catalog/core';
import type { InvalidImageInput, QuotaExceeded } from '@image-catalog/core/authoring';
import { deleteImageRequest, emptyImageFixture, fixtureLocations, imageFixture } from '@image-catalog/testkit';
import { openPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import { InstrumentedPool, pgError } from './test-support/instrumented-pool.js';
import { createTestSchema, dumpSchema, postgresUnreachable, skipNote, type TestSchema } from './test-support/test-database.js';

type Call = (storage: PostgresStorage) => ResultAsync<unknown, StorageError | { kind: 'Conflict' } | InvalidImageInput | QuotaExceeded>;

describe.skipIf(postgresUnreachable !== null)(`postgres: a failure at each step of each method${skipNote}`, () => {
  let db: TestSchema;
  let direct: PostgresStorage;
  const steps: Record<string, number> = {};

  beforeAll(async () => {
    db = await createTestSchema();
    direct = await openPostgresStorage(db.pool, { schema: db.schema });
  });

  afterAll(async () => {
    console.log(
      `[postgres round trips per call] ${Object.entries(steps)
        .map(([m, n]) => `${m}=${n}`)
        .join(' ')}`,
    );
    await db?.close();
  });

  async function createWithData(locations = 1) {
    const id = globalThis.crypto.randomUUID();
    return (
      await direct.catalog.createImage(
        imageFixture({ id, members: [{ memberId: 'p2' }], locations: fixtureLocations(id, locations) }),
        new Date(),
      )
    )._unsafeUnwrap();
  }

  /** Builds the state a call needs and returns the call; run once per step. */
  const METHODS: Record<string, () => Promise<Call>> = {
    createImage: async () => (s) => s.catalog.createImage(imageFixture(), new Date()),
    findById: async () => {
      const image = await createWithData();
      return (s) => s.images.findById(image.id);
    },
    deleteImage: async () => {
      const image = await createWithData(2);
      return (s) => s.images.deleteImage(deleteImageRequest(image, new Date()));
    },
    restoreImage: async () => {
      const image = await createWithData(2);
      (await direct.images.deleteImage(deleteImageRequest(image, new Date(), { delayed: true })))._unsafeUnwrap();
      return (s) => s.images.restoreImage(image.id, new Date());
    },
    complete: async () => {
      const image = await createWithData(1);
      const outcome = (await direct.images.deleteImage(deleteImageRequest(image, new Date(), { delayed: true })))._unsafeUnwrap();
      if (outcome.kind !== 'Deleted') throw new Error(outcome.kind);
      return (s) => s.jobs.complete(outcome.jobs[0]!.id, new Date());
    },
    updateImage: async () => {
      const image = await createWithData();
      return (s) => s.catalog.updateImage(image.id, { protected: true, name: 'renamed' }, new Date());
    },
    addMember: async () => {
      const image = await createWithData();
      return (s) => s.catalog.addMember(image.id, 'p9', new Date());
    },
    attachImageData: async () => {
      const image = (await direct.catalog.createImage(emptyImageFixture(), new Date()))._unsafeUnwrap();
      return (s) =>
        s.catalog.attachImageData(
          image.id,
          { url: 'fixture://uploaded', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h' },
          new Date(),
        );
    },
    claimDue: async () => {
      const image = await createWithData(2);
      (await direct.images.deleteImage(deleteImageRequest(image, new Date(0), { jobsDueAt: new Date(0) })))._unsafeUnwrap();
      return (s) => s.jobs.claimDue({ now: new Date(), limit: 10, leaseSeconds: 60 });
    },
  };

  const FAILURES: readonly (readonly [string, () => unknown, StorageError['kind']])[] = [
    ['connection failure', () => pgError('08006', 'connection failure'), 'StorageUnavailable'],
    ['internal error', () => pgError('XX000'), 'StorageFault'],
  ];

  for (const [method, setUp] of Object.entries(METHODS)) {
    it.each(FAILURES)(`${method}: failing each round trip with %s changes nothing`, async (_label, failure, kind) => {
      let step = 1;
      // Bounded: no port method takes anywhere near 20 round trips.
      for (; step <= 20; step++) {
        const call = await setUp();
        const before = await dumpSchema(db.pool, db.schema);
        const instrumented = new InstrumentedPool(db.pool);
        const storage = await openPostgresStorage(instrumented, { schema: db.schema });
        instrumented.failNth(step, failure());
        const result = await call(storage);
        if (result.isOk()) break;
        expect(result.error.kind).toBe(kind);
        expect(await dumpSchema(db.pool, db.schema)).toBe(before);
      }
      expect(step).toBeGreaterThan(1);
      expect(step).toBeLessThanOrEqual(20);
      steps[method] = step - 1;
    });
  }
});
