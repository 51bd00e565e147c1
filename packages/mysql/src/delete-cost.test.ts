// What one delete costs MariaDB: the same statements in its transaction and the same rows written, however many children the image has.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteImage, defaultDeletePolicy, type Principal } from '@image-catalog/core';
import type { NewImage } from '@image-catalog/core/authoring';
import { imageFixture } from '@image-catalog/testkit';
import type { MysqlPool, MysqlPoolConnection } from './mysql-connection.js';
import { openMysqlStorage, type MysqlStorage } from './open-mysql-storage.js';
import { createTestDatabase, mysqlUnreachable, skipNote, type TestDatabase } from './test-support/test-database.js';

const admin: Principal = { userId: 'admin', projectId: 'admin-project', roles: ['admin'] };

/** Every statement sent through the pool, with the rows a write changed (`affectedRows`). */
interface Sent {
  readonly statement: string;
  readonly affectedRows: number | null;
}

/** The test pool, recording what each connection sends. */
function recordingPool(inner: MysqlPool, sent: Sent[]): MysqlPool {
  return {
    async getConnection(): Promise<MysqlPoolConnection> {
      const connection = await inner.getConnection();
      return {
        async query(statement, values) {
          const result = await connection.query(statement, values);
          const header = result[0] as { affectedRows?: unknown };
          sent.push({
            statement: statement.trim().replace(/\s+/g, ' '),
            affectedRows: typeof header.affectedRows === 'number' ? header.affectedRows : null,
          });
          return result;
        },
        release: () => connection.release(),
        destroy: () => connection.destroy(),
      };
    },
  };
}

/** An image with this many properties, tags and members, and one location. */
function withChildren(properties: number, tags: number, members: number): NewImage {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return imageFixture({
    properties: Object.fromEntries(range(properties).map((i) => [`property_${i}`, `value ${i}`])),
    tags: range(tags).map((i) => `tag-${i}`),
    members: range(members).map((i) => ({ memberId: `project-${i}`, status: 'accepted' as const })),
  });
}

describe.skipIf(mysqlUnreachable !== null)(`mysql: the cost of one delete${skipNote}`, () => {
  let db: TestDatabase;
  let store: MysqlStorage;
  const sent: Sent[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openMysqlStorage(recordingPool(db.pool, sent));
  });

  afterAll(async () => {
    await db?.close();
  });

  /** Deletes the image; answers the statements of its transaction (by their first words) and the rows its writes changed. */
  async function deleteAndCount(input: NewImage) {
    const image = (await store.catalog.createImage(input, new Date()))._unsafeUnwrap();
    sent.length = 0;
    const deleted = await new DeleteImage(store.images, defaultDeletePolicy, { now: () => new Date() }, null).execute({
      imageId: image.id,
      principal: admin,
    });
    expect(deleted._unsafeUnwrap()).toMatchObject({ status: 'deleted', dataDeletionJobs: 1 });
    const begin = sent.findIndex((s) => s.statement === 'START TRANSACTION');
    const inTransaction = sent.slice(begin, sent.findIndex((s) => s.statement === 'COMMIT') + 1);
    const writes = inTransaction.filter((s) => /^(INSERT|UPDATE|DELETE)\b/.test(s.statement));
    return {
      statements: inTransaction.map((s) => s.statement.split(' ').slice(0, 3).join(' ')),
      rowsWritten: writes.reduce((sum, s) => sum + (s.affectedRows ?? 0), 0),
      childWrites: writes.filter((s) => /image_(properties|tags|members|locations)/.test(s.statement)).length,
    };
  }

  it('writes the image row, one job and one event for an image with 20 properties, 20 tags, 10 members and 1 location, as for one with none', async () => {
    const big = await deleteAndCount(withChildren(20, 20, 10));
    const bare = await deleteAndCount(withChildren(0, 0, 0));
    console.log(
      `[mysql delete cost] 20 properties, 20 tags, 10 members, 1 location: ${big.statements.length} statements, ${big.rowsWritten} rows; none: ${bare.statements.length} statements, ${bare.rowsWritten} rows`,
    );

    expect(big.statements).toEqual([
      'START TRANSACTION',
      'SELECT seq FROM', // the row lock
      'SELECT i.id, i.name,', // the image with its children, one statement
      'UPDATE images FORCE',
      'INSERT INTO data_deletion_jobs',
      'INSERT INTO outbox_events',
      'COMMIT',
    ]);
    expect(big).toMatchObject({ rowsWritten: 3, childWrites: 0 });
    expect(bare).toEqual(big);
  });
});
