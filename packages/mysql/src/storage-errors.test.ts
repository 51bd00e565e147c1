// Real server and driver failures map to the ports' errors: waits, deadlocks, lost servers → StorageUnavailable; the rest StorageFault.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPool, type Pool } from 'mysql2/promise';
import { createServer } from 'node:net';
import { deleteImageRequest, imageFixture } from '@image-catalog/testkit';
import type { MysqlPool } from './mysql-connection.js';
import { createMysqlStorage, openMysqlStorage } from './open-mysql-storage.js';
import { MysqlConnection } from './mysql-connection.js';
import { POOL_ACQUIRE_TIMEOUT, toStorageError } from './storage-errors.js';
import { waitUntilBlocked } from './test-support/lock-waits.js';
import { createTestDatabase, mysqlUnreachable, skipNote, testPool, type TestDatabase } from './test-support/test-database.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no loopback port');
  return address.port;
}

describe('storage errors without a server', () => {
  it('a refused connection is StorageUnavailable with the configured Retry-After, never a rejection', async () => {
    const pool = createPool({ host: '127.0.0.1', port: await closedPort(), user: 'root', connectTimeout: 2_000 });
    try {
      const storage = createMysqlStorage(new MysqlConnection(pool, { retryAfterSeconds: 7 }));
      const error = (await storage.images.findById('x'))._unsafeUnwrapErr();
      expect(error).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 7, cause: { code: 'ECONNREFUSED' } });
      expect((await storage.jobs.claimDue({ now: new Date(), limit: 1, leaseSeconds: 1 }))._unsafeUnwrapErr().kind).toBe(
        'StorageUnavailable',
      );
    } finally {
      await pool.end();
    }
  });

  it('a pool that throws instead of answering is a StorageFault value', async () => {
    const broken: MysqlPool = {
      getConnection: () => {
        throw new TypeError('defect');
      },
    };
    const storage = createMysqlStorage(new MysqlConnection(broken));
    await expect(storage.outbox.listEvents({})).resolves.toSatisfy(
      (r: Awaited<ReturnType<typeof storage.outbox.listEvents>>) => r.isErr() && r.error.kind === 'StorageFault',
    );
  });

  it.each([
    [{ errno: 1205, code: 'ER_LOCK_WAIT_TIMEOUT' }, 'StorageUnavailable'],
    [{ errno: 1213, code: 'ER_LOCK_DEADLOCK' }, 'StorageUnavailable'],
    [{ code: 'PROTOCOL_CONNECTION_LOST' }, 'StorageUnavailable'],
    [new Error('Queue limit reached.'), 'StorageUnavailable'],
    [{ errno: 1064, code: 'ER_PARSE_ERROR' }, 'StorageFault'],
    [new TypeError('x'), 'StorageFault'],
    [null, 'StorageFault'],
  ] as const)('toStorageError(%j) is %s', (cause, kind) => {
    expect(toStorageError(cause, 3).kind).toBe(kind);
  });
});

describe.skipIf(mysqlUnreachable !== null)(`mysql: storage errors from a real server${skipNote}`, () => {
  let db: TestDatabase;
  const extraPools: Pool[] = [];
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(extraPools.splice(0).map((p) => p.end()));
    await db.close();
  });
  const pool = (options: Parameters<typeof testPool>[1]) => {
    const created = testPool(db.name, options);
    extraPools.push(created);
    return created;
  };

  it('a row lock held past lockWaitTimeoutSeconds: StorageUnavailable (ER_LOCK_WAIT_TIMEOUT), nothing written', async () => {
    const storage = await openMysqlStorage(db.pool, { lockWaitTimeoutSeconds: 1, retryAfterSeconds: 7 });
    const image = (await storage.catalog.createImage(imageFixture(), new Date()))._unsafeUnwrap();
    const holder = await pool({ connectionLimit: 1 }).getConnection();
    try {
      await holder.query('START TRANSACTION');
      await holder.query('SELECT seq FROM images WHERE id = ? FOR UPDATE', [image.id]);
      const error = (await storage.images.deleteImage(deleteImageRequest(image, new Date())))._unsafeUnwrapErr();
      expect(error).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 7, cause: { errno: 1205 } });
      await holder.query('ROLLBACK');
    } finally {
      holder.release();
    }
    expect((await storage.images.findById(image.id))._unsafeUnwrap()).toEqual(image);
    expect((await storage.outbox.listEvents({}))._unsafeUnwrap()).toEqual([]);
  });

  it('a real deadlock (ER_LOCK_DEADLOCK) maps to StorageUnavailable', async () => {
    const other = pool({ connectionLimit: 2 });
    await db.pool.query('CREATE TABLE deadlock_probe (id INT PRIMARY KEY) ENGINE=InnoDB');
    await db.pool.query('INSERT INTO deadlock_probe VALUES (1), (2)');
    const [a, b] = [await other.getConnection(), await other.getConnection()];
    try {
      await a.query('START TRANSACTION');
      await b.query('START TRANSACTION');
      await a.query('SELECT id FROM deadlock_probe WHERE id = 1 FOR UPDATE');
      await b.query('SELECT id FROM deadlock_probe WHERE id = 2 FOR UPDATE');
      const first = a.query('SELECT id FROM deadlock_probe WHERE id = 2 FOR UPDATE');
      await waitUntilBlocked(db.pool, 'deadlock_probe');
      const second = b.query('SELECT id FROM deadlock_probe WHERE id = 1 FOR UPDATE');
      const settled = await Promise.allSettled([first, second]);
      const victim = settled.find((s) => s.status === 'rejected');
      expect(victim?.status === 'rejected' && victim.reason).toMatchObject({ errno: 1213 });
      expect(toStorageError(victim?.status === 'rejected' ? victim.reason : null, 5).kind).toBe('StorageUnavailable');
    } finally {
      await a.query('ROLLBACK').catch(() => {});
      await b.query('ROLLBACK').catch(() => {});
      a.release();
      b.release();
    }
  });

  it('no pool connection within acquireTimeoutMs: StorageUnavailable; the late connection goes back to the pool', async () => {
    const small = pool({ connectionLimit: 1 });
    const storage = await openMysqlStorage(small, { acquireTimeoutMs: 200 });
    const held = await small.getConnection();
    const error = (await storage.outbox.listEvents({}))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'StorageUnavailable', cause: { code: POOL_ACQUIRE_TIMEOUT } });
    held.release();
    // The connection the timed-out call was still queued for is released to the pool, so calls keep working.
    for (let i = 0; i < 3; i++) expect((await storage.outbox.listEvents({})).isOk()).toBe(true);
  });

  it("the pool's queue limit: StorageUnavailable", async () => {
    const small = pool({ connectionLimit: 1, queueLimit: 1 });
    const storage = await openMysqlStorage(small);
    const held = await small.getConnection();
    const queued = storage.jobs.counts();
    const error = (await storage.jobs.counts())._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'StorageUnavailable', cause: { message: 'Queue limit reached.' } });
    held.release();
    expect((await queued).isOk()).toBe(true);
  });

  it('a connection killed inside a transaction: StorageUnavailable, nothing written, and the store keeps working', async () => {
    const storage = await openMysqlStorage(db.pool);
    const image = (await storage.catalog.createImage(imageFixture(), new Date()))._unsafeUnwrap();
    const holder = await pool({ connectionLimit: 1 }).getConnection();
    try {
      await holder.query('START TRANSACTION');
      await holder.query('SELECT seq FROM images WHERE id = ? FOR UPDATE', [image.id]);
      const deleting = storage.images.deleteImage(deleteImageRequest(image, new Date()));
      await waitUntilBlocked(db.pool, 'FOR UPDATE');
      const [waiting] = await db.pool.query(
        "SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'",
      );
      await db.pool.query(`KILL ${Number((waiting as { id: number }[])[0]?.id)}`);
      expect((await deleting)._unsafeUnwrapErr().kind).toBe('StorageUnavailable');
      await holder.query('ROLLBACK');
    } finally {
      holder.release();
    }
    expect((await storage.images.findById(image.id))._unsafeUnwrap()).toEqual(image);
    expect((await storage.images.deleteImage(deleteImageRequest(image, new Date())))._unsafeUnwrap().kind).toBe('Deleted');
  });

  it('anything else, e.g. a value the schema refuses, is StorageFault and writes nothing', async () => {
    const storage = await openMysqlStorage(db.pool);
    // The catalog validates every length before it writes, so narrow a column the write reaches
    // after the image row: the tag insert fails and the image row must roll back with it.
    await db.pool.query('ALTER TABLE image_tags MODIFY value VARCHAR(8) NOT NULL');
    const error = (await storage.catalog.createImage(imageFixture({ tags: ['t'.repeat(20)] }), new Date()))._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: 'StorageFault', cause: { code: 'ER_DATA_TOO_LONG' } });
    expect((await storage.catalog.listImages({}))._unsafeUnwrap()).toEqual([]);
  });
});
