// What one delete costs PostgreSQL: the same statements and the same rows written, however many children the image has.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageFixture } from '@image-catalog/testkit';
import type { NewImage } from '@image-catalog/core/authoring';
import { openPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import { admin, deleteImageUseCase } from './test-support/fixtures.js';
import { InstrumentedPool } from './test-support/instrumented-pool.js';
import { createTestSchema, postgresUnreachable, skipNote, STORE_TABLES, type TestSchema } from './test-support/test-database.js';

/** An image with this many properties, tags and members, and one location. */
function withChildren(properties: number, tags: number, members: number): NewImage {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return imageFixture({
    properties: Object.fromEntries(range(properties).map((i) => [`property_${i}`, `value ${i}`])),
    tags: range(tags).map((i) => `tag-${i}`),
    members: range(members).map((i) => ({ memberId: `project-${i}`, status: 'accepted' as const })),
  });
}

describe.skipIf(postgresUnreachable !== null)(`postgres: the cost of one delete${skipNote}`, () => {
  let db: TestSchema;
  let pool: InstrumentedPool;
  let store: PostgresStorage;

  beforeAll(async () => {
    db = await createTestSchema();
    pool = new InstrumentedPool(db.pool);
    store = await openPostgresStorage(pool, { schema: db.schema });
  });

  afterAll(async () => {
    await db?.close();
  });

  /**
   * Deletes the image and answers the statements sent and the rows its transaction wrote: every
   * row version whose `xmin` is the transaction that wrote the image row's delete, in every table
   * of the store (an insert or an update makes a new row version with that `xmin`).
   */
  async function deleteAndCount(input: NewImage) {
    const image = (await store.catalog.createImage(input, new Date()))._unsafeUnwrap();
    const sentBefore = pool.log.length;
    const deleted = await deleteImageUseCase(store.images).execute({ imageId: image.id, principal: admin });
    expect(deleted._unsafeUnwrap()).toMatchObject({ status: 'deleted', dataDeletionJobs: 1 });
    // Named statements by their name, the rest (BEGIN with its SET LOCALs, COMMIT) by their first word.
    const statements = pool.log
      .slice(sentBefore)
      .map((sent) => (/^\w+ /.test(sent) || !sent.includes('_') ? sent.split(' ')[0] : sent.replace(/^.*?_(?=[a-zA-Z]+$)/, '')));

    const s = `"${db.schema}"`;
    const xid = (await db.pool.query<{ xid: string }>(`SELECT xmin::text AS xid FROM ${s}.images WHERE id = $1`, [image.id])).rows[0]!.xid;
    const counts = await db.pool.query<{ table_name: string; n: number }>(
      STORE_TABLES.map((t) => `SELECT '${t}' AS table_name, count(*)::int AS n FROM ${s}.${t} WHERE xmin::text = $1`).join(' UNION ALL '),
      [xid],
    );
    const rows = Object.fromEntries(counts.rows.filter((r) => r.n > 0).map((r) => [r.table_name, r.n]));
    return { statements, rows };
  }

  it('writes the image row, one job and one event for an image with 20 properties, 20 tags, 10 members and 1 location, as for one with none', async () => {
    const big = await deleteAndCount(withChildren(20, 20, 10));
    const bare = await deleteAndCount(withChildren(0, 0, 0));
    console.log(
      `[postgres delete cost] 20 properties, 20 tags, 10 members, 1 location: ${big.statements.length} statements, rows ${JSON.stringify(big.rows)}; none: ${bare.statements.length} statements, rows ${JSON.stringify(bare.rows)}`,
    );

    // One transaction (BEGIN sets its lock and statement timeouts): the read, then the one guarded statement.
    expect(big.statements).toEqual(['BEGIN', 'findById', 'deleteImage', 'COMMIT']);
    expect(big.rows).toEqual({ images: 1, data_deletion_jobs: 1, outbox_events: 1 });
    expect(bare).toEqual(big);
  });
});
