// A failure at any write of the delete statement, or a connection killed mid-transaction, leaves every table exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageFault, type StorageError } from '@image-catalog/core';
import { type NewImage } from '@image-catalog/core/authoring';
import { imageFixture } from '@image-catalog/testkit';
import { openPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import { admin, deleteImageUseCase, imageRow } from './test-support/fixtures.js';
import { InstrumentedPool, named } from './test-support/instrumented-pool.js';
import { createTestSchema, dumpSchema, postgresUnreachable, skipNote, type TestSchema } from './test-support/test-database.js';

/** An image with every kind of child row and two locations with known ids, so each job's write can be targeted. */
function fullImage(): NewImage {
  const id = globalThis.crypto.randomUUID();
  return imageFixture({
    id,
    tags: ['a', 'b'],
    properties: { os_distro: 'ubuntu', os_version: '24.04' },
    members: [{ memberId: 'project-b', status: 'accepted' }, { memberId: 'project-c' }],
    locations: [
      { id: `${id}-loc-0`, url: `fixture://images/${id}/0` },
      { id: `${id}-loc-1`, url: `fixture://images/${id}/1` },
    ],
  });
}

/**
 * Each write the delete statement makes, as a trigger that fails right after that write: the
 * image row, the first and the second job, the outbox row (a delete writes no child row). The
 * statement is one implicit transaction, so PostgreSQL must discard whatever it wrote before.
 */
const STEPS = [
  ['image', 'AFTER UPDATE ON {s}.images'],
  ['first job', 'AFTER INSERT ON {s}.data_deletion_jobs'],
  ['second job', "AFTER INSERT ON {s}.data_deletion_jobs FOR EACH ROW WHEN (NEW.location_id LIKE '%-loc-1')"],
  ['outbox', 'AFTER INSERT ON {s}.outbox_events'],
] as const;

/** What PostgreSQL might answer at that point, and what the adapter must turn it into. */
const ERRORS: readonly (readonly [label: string, sqlstate: string, kind: StorageError['kind']])[] = [
  ['internal error', 'XX000', 'StorageFault'],
  ['check violation', '23514', 'StorageFault'],
  ['statement timeout', '57014', 'StorageUnavailable'],
  ['lock timeout', '55P03', 'StorageUnavailable'],
  ['deadlock, every retry', '40P01', 'StorageUnavailable'],
];

describe.skipIf(postgresUnreachable !== null)(`postgres: delete atomicity${skipNote}`, () => {
  let db: TestSchema;
  let store: PostgresStorage;

  beforeAll(async () => {
    db = await createTestSchema();
    store = await openPostgresStorage(db.pool, { schema: db.schema });
    await db.pool.query(`CREATE FUNCTION "${db.schema}".fail_here() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'injected failure at %', TG_ARGV[1] USING ERRCODE = TG_ARGV[0]; END $$`);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function withTrigger<T>(spec: string, sqlstate: string, label: string, work: () => PromiseLike<T>): Promise<T> {
    const s = `"${db.schema}"`;
    const forEachRow = spec.includes('FOR EACH ROW') ? '' : ' FOR EACH ROW';
    await db.pool.query(
      `CREATE TRIGGER fail_here ${spec.replace('{s}', s)}${forEachRow} EXECUTE FUNCTION ${s}.fail_here('${sqlstate}', '${label}')`,
    );
    try {
      return await work();
    } finally {
      const table = /ON \{s\}\.(\w+)/.exec(spec)![1];
      await db.pool.query(`DROP TRIGGER fail_here ON ${s}.${table}`);
    }
  }

  for (const [step, spec] of STEPS) {
    it.each(ERRORS)(
      `a failure right after the ${step} write (%s) changes nothing, and the delete succeeds afterwards`,
      async (label, sqlstate, kind) => {
        const image = (await store.catalog.createImage(fullImage(), new Date()))._unsafeUnwrap();
        const before = await dumpSchema(db.pool, db.schema);
        const result = await withTrigger(spec, sqlstate, `${step} (${label})`, () =>
          deleteImageUseCase(store.images).execute({ imageId: image.id, principal: admin }),
        );
        expect(result._unsafeUnwrapErr().kind).toBe(kind);
        expect(await dumpSchema(db.pool, db.schema)).toBe(before);

        const again = await deleteImageUseCase(store.images).execute({ imageId: image.id, principal: admin });
        expect(again._unsafeUnwrap()).toMatchObject({ status: 'deleted', dataDeletionJobs: 2 });
      },
    );
  }

  it('a connection killed in the middle of a restore transaction answers StorageUnavailable and changes nothing', async () => {
    const instrumented = new InstrumentedPool(db.pool);
    const killable = (await openPostgresStorage(instrumented, { schema: db.schema })).images;
    const image = (await store.catalog.createImage(fullImage(), new Date()))._unsafeUnwrap();
    await deleteImageUseCase(store.images, undefined, { delayedDelete: { delaySeconds: 3600 } }).execute({
      imageId: image.id,
      principal: admin,
    });
    const before = await dumpSchema(db.pool, db.schema);

    // After the restore has locked the image and its jobs, its backend is terminated from outside.
    instrumented.before(named('restoreImage'), async () => {
      const killed = await db.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND state = 'idle in transaction' AND position('MATERIALIZED' in query) > 0`,
      );
      expect(killed.rowCount).toBe(1);
    });
    const error = (await killable.restoreImage(image.id, new Date()))._unsafeUnwrapErr();
    expect(error.kind).toBe('StorageUnavailable');
    expect(await dumpSchema(db.pool, db.schema)).toBe(before);

    // The dead connection was not handed back to the pool: the next calls work.
    expect((await killable.restoreImage(image.id, new Date()))._unsafeUnwrap().kind).toBe('Restored');
    expect(await imageRow(db.pool, db.schema, image.id)).toEqual({ status: 'active', deleted: false, protected: false });
  });

  it('a statement failing with a plain exception inside the adapter is a StorageFault value, never a rejection', async () => {
    const instrumented = new InstrumentedPool(db.pool);
    const broken = (await openPostgresStorage(instrumented, { schema: db.schema })).images;
    const image = (await store.catalog.createImage(fullImage(), new Date()))._unsafeUnwrap();
    instrumented.failWhen(named('deleteImage'), new TypeError('boom'));
    const result = await deleteImageUseCase(broken).execute({ imageId: image.id, principal: admin });
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'StorageFault', message: storageFault().message });
    expect(await imageRow(db.pool, db.schema, image.id)).toMatchObject({ deleted: false });
  });
});
