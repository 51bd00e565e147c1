// The store refuses to start on a schema that is not current, naming what is missing; once migrated it opens.
import { Container } from 'inversify';
import { imageCatalogCoreModule, resolve, TOKENS } from '@image-catalog/core';
import { RecordingImageDataStore } from '@image-catalog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { openPostgresStorage } from './postgres-storage.js';
import { migrate, MIGRATIONS } from './migrations.js';
import { postgresImageCatalogModule } from './module.js';
import { assertSchemaCurrent, SchemaNotCurrentError } from './schema-check.js';
import { dropSchema, postgresUnreachable, randomSchemaName, skipNote, testPool } from './test-support/test-database.js';

const untouchable = { query: () => Promise.reject(new Error('touched')), connect: () => Promise.reject(new Error('touched')) };

describe('schema check options (no server needed)', () => {
  it('refuses a malformed schema name before any round trip', async () => {
    await expect(assertSchemaCurrent(untouchable, { schema: 'Bad-Name' })).rejects.toBeInstanceOf(RangeError);
    await expect(openPostgresStorage(untouchable, { schema: 'Bad-Name' })).rejects.toBeInstanceOf(RangeError);
  });

  it('passes the driver error on when the database cannot be asked', async () => {
    await expect(openPostgresStorage(untouchable)).rejects.toThrow('touched');
  });
});

describe.skipIf(postgresUnreachable !== null)(`postgres: the store refuses a schema that is not current${skipNote}`, () => {
  let pool: pg.Pool;
  const schemas: string[] = [];
  const fresh = () => {
    const schema = randomSchemaName();
    schemas.push(schema);
    return schema;
  };

  beforeAll(() => {
    pool = testPool({ max: 4 });
  });

  afterAll(async () => {
    for (const schema of schemas) await dropSchema(pool, schema);
    await pool.end();
  });

  it('an empty database: every migration is named, and nothing is created', async () => {
    const schema = fresh();
    const refused = await openPostgresStorage(pool, { schema }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SchemaNotCurrentError);
    const error = refused as SchemaNotCurrentError;
    expect(error.schema).toBe(schema);
    expect(error.pending.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    for (const m of MIGRATIONS) expect(error.message).toContain(`${m.version} (${m.name})`);
    expect(error.message).toContain(`image-catalog-postgres-migrate <postgres-url> --schema ${schema}`);
    const created = await pool.query(`SELECT 1 FROM information_schema.schemata WHERE schema_name = $1`, [schema]);
    expect(created.rowCount).toBe(0);
  });

  it('a schema an older release migrated: only the missing migration is named; after migrate the store opens and serves', async () => {
    const schema = fresh();
    await migrate(pool, { schema, migrations: MIGRATIONS.slice(0, -1) });
    const latest = MIGRATIONS.at(-1)!;
    await expect(assertSchemaCurrent(pool, { schema })).rejects.toThrow(`(pending migrations: ${latest.version} (${latest.name}))`);
    await expect(assertSchemaCurrent(pool, { schema })).rejects.not.toThrow(`1 (${MIGRATIONS[0]!.name})`);

    await migrate(pool, { schema });
    await expect(assertSchemaCurrent(pool, { schema })).resolves.toBeUndefined();
    const storage = await openPostgresStorage(pool, { schema });
    expect((await storage.catalog.listImages({})).isOk()).toBe(true);
  });

  it('the module binds every storage port of the checked storage it is given', async () => {
    const schema = fresh();
    await migrate(pool, { schema });
    const storage = await openPostgresStorage(pool, { schema });
    const container = new Container();
    container.bind(TOKENS.ImageDataStore).toConstantValue(new RecordingImageDataStore());
    container.load(postgresImageCatalogModule(storage), imageCatalogCoreModule);
    expect(container.get(TOKENS.ImageRepository)).toBe(storage.images);
    expect(container.get(TOKENS.ImageCatalog)).toBe(storage.catalog);
    expect(container.get(TOKENS.DataDeletionJobQueue)).toBe(storage.jobs);
    expect(container.get(TOKENS.EventOutbox)).toBe(storage.outbox);
    const deleted = await resolve(container, TOKENS.DeleteImage).execute({
      imageId: globalThis.crypto.randomUUID(),
      principal: { userId: 'u', projectId: 'p', roles: ['admin'] },
    });
    expect(deleted.isErr() && deleted.error.kind).toBe('ImageNotFound');
  });
});
