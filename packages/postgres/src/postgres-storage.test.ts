// openPostgresStorage refuses a schema that is not current, naming the pending migrations, and opens a current one.
import { afterEach, describe, expect, it } from 'vitest';
import { deleteImageRequest, fixtureLocations, imageFixture } from '@image-catalog/testkit';
import { migrate, MIGRATIONS } from './migrations.js';
import { openPostgresStorage } from './postgres-storage.js';
import { SchemaNotCurrentError } from './schema-check.js';
import { createTestSchema, dumpSchema, postgresUnreachable, skipNote, type TestSchema } from './test-support/test-database.js';

describe.skipIf(postgresUnreachable !== null)(`postgres: opening the storage${skipNote}`, () => {
  let db: TestSchema | undefined;

  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  const schemaExists = async ({ pool, schema }: TestSchema) =>
    (await pool.query<{ present: boolean }>('SELECT to_regnamespace($1) IS NOT NULL AS present', [schema])).rows[0]?.present;

  it('refuses a schema never migrated, naming every migration, and creates nothing', async () => {
    db = await createTestSchema({ migrate: false });
    const opening = openPostgresStorage(db.pool, { schema: db.schema });
    await expect(opening).rejects.toBeInstanceOf(SchemaNotCurrentError);
    await expect(opening).rejects.toThrow(
      `PostgreSQL schema "${db.schema}" is not current (pending migrations: ${MIGRATIONS.map((m) => `${m.version} (${m.name})`).join(', ')}); run migrate(pool, { schema: '${db.schema}' })`,
    );
    expect(await schemaExists(db)).toBe(false);
  });

  it('refuses a schema migrated in part, naming only the missing versions, and changes nothing', async () => {
    db = await createTestSchema({ migrate: false });
    await migrate(db.pool, { schema: db.schema, migrations: MIGRATIONS.slice(0, 1) });
    const before = await dumpSchema(db.pool, db.schema);
    const names = MIGRATIONS.slice(1)
      .map((m) => `${m.version} (${m.name})`)
      .join(', ');
    await expect(openPostgresStorage(db.pool, { schema: db.schema })).rejects.toThrow(`not current (pending migrations: ${names});`);
    expect(await dumpSchema(db.pool, db.schema)).toBe(before);
  });

  it('opens a current schema: four ports over one pool, a delete seen by the queue and the outbox', async () => {
    db = await createTestSchema();
    const { images, catalog, jobs, outbox } = await openPostgresStorage(db.pool, { schema: db.schema });
    const id = globalThis.crypto.randomUUID();
    const image = (await catalog.createImage(imageFixture({ id, locations: fixtureLocations(id, 2) }), new Date()))._unsafeUnwrap();
    expect((await images.deleteImage(deleteImageRequest(image, new Date())))._unsafeUnwrap().kind).toBe('Deleted');
    expect((await images.findById(id))._unsafeUnwrap()).toMatchObject({ status: 'deleted', deleted: true });
    expect((await jobs.listJobs({ imageId: id }))._unsafeUnwrap()).toHaveLength(2);
    expect((await outbox.listEvents({ imageId: id }))._unsafeUnwrap().map((e) => e.type)).toEqual(['image.delete']);
  });
});
