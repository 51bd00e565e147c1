// What quotas cost PostgreSQL: nothing without them; with them, one advisory lock and one indexed count or sum, a wait for the lock bounded by lock_timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageQuotas } from '@image-catalog/core/authoring';
import { emptyImageFixture, expectErr, expectOk } from '@image-catalog/testkit';
import { QUOTA_LOCK_CLASS } from './image-catalog-statements.js';
import { openPostgresStorage, type PostgresStorageOptions } from './postgres-storage.js';
import { InstrumentedPool } from './test-support/instrumented-pool.js';
import { createTestSchema, postgresUnreachable, skipNote, type TestSchema } from './test-support/test-database.js';

const DATA = { url: 'fixture://uploaded', size: 10, checksum: 'c'.repeat(32), osHashAlgo: 'sha512', osHashValue: 'ab'.repeat(64) };

describe.skipIf(postgresUnreachable !== null)(`postgres: the cost of quotas${skipNote}`, () => {
  let db: TestSchema;

  beforeAll(async () => {
    db = await createTestSchema();
  });

  afterAll(async () => {
    await db?.close();
  });

  /** The statements one create and one upload of an image of `owner` send: named ones by name, the rest by their first word. */
  async function statementsOf(quotas: ImageQuotas | undefined, owner: string | null) {
    const pool = new InstrumentedPool(db.pool);
    const store = await openPostgresStorage(pool, { schema: db.schema, quotas });
    const named = (from: number) =>
      pool.log.slice(from).map((sent) => (/^ic_/.test(sent) ? sent.replace(/^ic_[^_]+_/, '') : sent.split(' ')[0]));
    const beforeCreate = pool.log.length;
    const image = await expectOk(store.catalog.createImage(emptyImageFixture({ owner }), new Date()));
    const create = named(beforeCreate);
    const beforeAttach = pool.log.length;
    expect(await expectOk(store.catalog.attachImageData(image.id, DATA, new Date()))).toMatchObject({ status: 'active' });
    return { create, attach: named(beforeAttach) };
  }

  it('without quotas, a create and an upload send what they always did: no lock, no count', async () => {
    expect(await statementsOf(undefined, 'p1')).toEqual({
      create: ['BEGIN', 'createImage', 'COMMIT'],
      attach: ['BEGIN', 'attachData', 'addLocation', 'findById', 'COMMIT'],
    });
  });

  it('with quotas, each takes the project lock and counts (or sums) before it writes', async () => {
    expect(await statementsOf({ imageCountTotal: 100, imageSizeTotal: 1000 }, 'p1')).toEqual({
      create: ['BEGIN', 'lockProjectQuota', 'countLiveOwned', 'createImage', 'COMMIT'],
      attach: ['BEGIN', 'liveOwner', 'lockProjectQuota', 'sizeOfOthersOwned', 'attachData', 'addLocation', 'findById', 'COMMIT'],
    });
  });

  it('an image without owner counts towards no quota and takes no lock', async () => {
    expect(await statementsOf({ imageCountTotal: 100, imageSizeTotal: 1000 }, null)).toEqual({
      create: ['BEGIN', 'createImage', 'COMMIT'],
      attach: ['BEGIN', 'liveOwner', 'attachData', 'addLocation', 'findById', 'COMMIT'],
    });
  });

  it('a project lock held elsewhere past lock_timeout answers StorageUnavailable, writing nothing; other projects go on', async () => {
    const options: PostgresStorageOptions = { schema: db.schema, quotas: { imageCountTotal: 10 }, lockTimeoutMs: 200 };
    const store = await openPostgresStorage(db.pool, options);
    const holder = await db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [QUOTA_LOCK_CLASS, `${db.schema}/held`]);
      const input = emptyImageFixture({ owner: 'held' });
      expect(await expectErr(store.catalog.createImage(input, new Date()))).toMatchObject({ kind: 'StorageUnavailable' });
      expect(await expectOk(store.images.findById(input.id))).toBeNull();
      await expectOk(store.catalog.createImage(emptyImageFixture({ owner: 'free' }), new Date()));
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    await expectOk(store.catalog.createImage(emptyImageFixture({ owner: 'held' }), new Date()));
  });
});
