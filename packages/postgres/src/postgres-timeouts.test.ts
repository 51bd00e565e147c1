// Every port call is bounded: a lock held by another session, a long statement, an exhausted pool or a silent server answer StorageUnavailable in time, having written nothing.
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { Result } from 'neverthrow';
import type { StorageError } from '@image-catalog/core';
import { deleteImageRequest, fixtureLocations, imageFixture } from '@image-catalog/testkit';
import { DeadlineExceededError } from './deadline-exceeded-error.js';
import type { PgPool } from './pg-pool.js';
import { openPostgresStorage, type PostgresStorage, type PostgresStorageOptions } from './postgres-storage.js';
import { PostgresRateLimiter } from './postgres-rate-limiter.js';
import { postgresTimeouts } from './postgres-timeouts.js';
import { deleteImageUseCase, ownerMember, sideEffects } from './test-support/fixtures.js';
import { freezableProxy } from './test-support/freezable-proxy.js';
import { InstrumentedPool, named } from './test-support/instrumented-pool.js';
import { holdLock, type HeldLock } from './test-support/held-lock.js';
import { createTestSchema, dumpSchema, postgresUnreachable, skipNote, testPool, type TestSchema } from './test-support/test-database.js';

/** Runs `call` and measures how long its answer took. */
async function timed<T>(call: () => PromiseLike<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await call();
  return { value, ms: Math.round(performance.now() - started) };
}

/** The error of a failed port call: StorageUnavailable with the configured Retry-After. */
function unavailable(result: Result<unknown, unknown>): StorageError & { cause?: unknown } {
  expect(result.isErr()).toBe(true);
  const error = result._unsafeUnwrapErr() as StorageError & { cause?: unknown };
  expect(error).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 7 });
  return error;
}

const code = (cause: unknown) => (cause as { code?: unknown }).code;

describe('postgres timeout options', () => {
  it('defaults: lock 5 s, statement 10 s, pool wait = lock timeout, answers given up 1 s after the statement timeout', () => {
    expect(postgresTimeouts()).toEqual({ lockTimeoutMs: 5000, statementTimeoutMs: 10000, acquireTimeoutMs: 5000, answerTimeoutMs: 11000 });
    expect(postgresTimeouts({ lockTimeoutMs: 1200 }).acquireTimeoutMs).toBe(1200);
    expect(postgresTimeouts({ lockTimeoutMs: 1200, acquireTimeoutMs: 300 }).acquireTimeoutMs).toBe(300);
  });

  it.each([
    [{ lockTimeoutMs: 0 }],
    [{ lockTimeoutMs: -5 }],
    [{ lockTimeoutMs: 1.5 }],
    [{ statementTimeoutMs: Number.NaN }],
    [{ statementTimeoutMs: 2 ** 31 }],
    [{ acquireTimeoutMs: Number.POSITIVE_INFINITY }],
    [{ lockTimeoutMs: '5000' as unknown as number }],
  ])('refuses %j with a RangeError naming the option, before any round trip', async (options) => {
    const name = Object.keys(options)[0]!;
    const pool = {
      query: async () => {
        throw new Error('no round trip expected');
      },
      connect: async () => {
        throw new Error('no round trip expected');
      },
    };
    expect(() => postgresTimeouts(options)).toThrow(new RegExp(`${name} must be a whole number of milliseconds`));
    await expect(openPostgresStorage(pool, options)).rejects.toThrow(RangeError);
    expect(() => new PostgresRateLimiter({ pool, limit: 1, windowSeconds: 1, ...options })).toThrow(RangeError);
  });
});

describe.skipIf(postgresUnreachable !== null)(`postgres: bounded under storage stalls${skipNote}`, () => {
  let db: TestSchema;
  const held: HeldLock[] = [];
  const extraPools: pg.Pool[] = [];

  beforeEach(async () => {
    db = await createTestSchema();
  });
  afterEach(async () => {
    for (const lock of held.splice(0)) await lock.release();
    for (const pool of extraPools.splice(0)) await pool.end();
    await db.close();
  });

  const lock = async (sql: string, values: readonly unknown[] = []) => {
    const lock = await holdLock(sql, { values });
    held.push(lock);
    return lock;
  };
  const lockTable = (table: string) => lock(`LOCK TABLE "${db.schema}".${table} IN ACCESS EXCLUSIVE MODE`);
  const open = (options: PostgresStorageOptions = {}, pool: PgPool = db.pool) =>
    openPostgresStorage(pool, { schema: db.schema, retryAfterSeconds: 7, ...options });
  const createWithData = async (storage: PostgresStorage, locations: number) => {
    const id = globalThis.crypto.randomUUID();
    return (
      await storage.catalog.createImage(imageFixture({ id, locations: fixtureLocations(id, locations) }), new Date())
    )._unsafeUnwrap();
  };

  describe('a lock held by another session', () => {
    it('ACCESS EXCLUSIVE on images: the delete answers StorageUnavailable (55P03) near lockTimeoutMs, writes nothing, and succeeds once the lock is gone', async () => {
      const storage = await open({ lockTimeoutMs: 1000 });
      const image = await createWithData(storage, 2);
      const before = await dumpSchema(db.pool, db.schema);
      const locked = await lockTable('images');

      const { value: result, ms } = await timed(() =>
        deleteImageUseCase(storage.images).execute({ imageId: image.id, principal: ownerMember }),
      );
      console.log(`[postgres lock timeout] delete under ACCESS EXCLUSIVE, lockTimeoutMs=1000: StorageUnavailable after ${ms} ms`);
      expect(code(unavailable(result).cause)).toBe('55P03');
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(4000);

      await locked.release();
      expect(await dumpSchema(db.pool, db.schema)).toBe(before);
      expect((await deleteImageUseCase(storage.images).execute({ imageId: image.id, principal: ownerMember })).isOk()).toBe(true);
      expect(await sideEffects(db.pool, db.schema, image.id)).toEqual({ events: 1, jobs: 2 });
    });

    it('a later write waiting on a lock stops the delete statement after it updated the image row: the whole statement is rolled back', async () => {
      const storage = await open({ lockTimeoutMs: 800 });
      const image = await createWithData(storage, 2);
      const other = await createWithData(storage, 0);
      const eventId = globalThis.crypto.randomUUID();
      const before = await dumpSchema(db.pool, db.schema);
      // The image row itself is free: the statement updates it and inserts the jobs, then its outbox
      // row waits on another session's uncommitted row with the same event id (a unique key).
      const locked = await lock(
        `INSERT INTO "${db.schema}".outbox_events (id, type, image_id, payload, occurred_at, available_at) VALUES ($1, 'image.delete', $2, '{}', now(), now())`,
        [eventId, other.id],
      );

      const { value: result, ms } = await timed(() => storage.images.deleteImage(deleteImageRequest(image, new Date(), { eventId })));
      expect(code(unavailable(result).cause)).toBe('55P03');
      expect(ms).toBeLessThan(4000);
      await locked.release();
      expect(await dumpSchema(db.pool, db.schema)).toBe(before);
      expect((await storage.images.deleteImage(deleteImageRequest(image, new Date(), { eventId })))._unsafeUnwrap().kind).toBe('Deleted');
    });

    it('a child row locked elsewhere does not stop a delete: the delete writes no child row', async () => {
      const storage = await open({ lockTimeoutMs: 800 });
      const image = await createWithData(storage, 2);
      await lock(`SELECT 1 FROM "${db.schema}".image_locations WHERE image_id = $1 FOR UPDATE`, [image.id]);
      await lock(`SELECT 1 FROM "${db.schema}".image_tags WHERE image_id = $1 FOR UPDATE`, [image.id]);
      const { value: result, ms } = await timed(() => storage.images.deleteImage(deleteImageRequest(image, new Date())));
      expect(result._unsafeUnwrap()).toMatchObject({ kind: 'Deleted', jobs: [{}, {}] });
      expect(ms).toBeLessThan(700);
    });

    it('statement_timeout shorter than the lock wait: StorageUnavailable (57014) near statementTimeoutMs, nothing written', async () => {
      const storage = await open({ lockTimeoutMs: 5000, statementTimeoutMs: 800 });
      const image = await createWithData(storage, 1);
      const before = await dumpSchema(db.pool, db.schema);
      const locked = await lockTable('images');

      const { value: result, ms } = await timed(() => storage.images.deleteImage(deleteImageRequest(image, new Date())));
      expect(code(unavailable(result).cause)).toBe('57014');
      expect(ms).toBeGreaterThanOrEqual(700);
      expect(ms).toBeLessThan(4000);
      await locked.release();
      expect(await dumpSchema(db.pool, db.schema)).toBe(before);
    });

    it('a job claim under ACCESS EXCLUSIVE on the job table: StorageUnavailable near lockTimeoutMs, no claim counted; claimed once the lock is gone', async () => {
      const storage = await open({ lockTimeoutMs: 1000 });
      const image = await createWithData(storage, 1);
      (await storage.images.deleteImage(deleteImageRequest(image, new Date(0), { jobsDueAt: new Date(0) })))._unsafeUnwrap();
      const claim = () => storage.jobs.claimDue({ now: new Date(), limit: 10, leaseSeconds: 60 });

      // A lock on images does not concern the claim: it touches only the job table.
      const onImages = await lockTable('images');
      expect((await claim())._unsafeUnwrap()).toHaveLength(1);
      await onImages.release();
      await db.pool.query(
        `UPDATE "${db.schema}".data_deletion_jobs SET available_at = now() - interval '1 minute', claims = 0, claimed_at = NULL`,
      );

      const before = await dumpSchema(db.pool, db.schema);
      const locked = await lockTable('data_deletion_jobs');
      const { value: result, ms } = await timed(claim);
      console.log(`[postgres lock timeout] job claim under ACCESS EXCLUSIVE, lockTimeoutMs=1000: StorageUnavailable after ${ms} ms`);
      expect(code(unavailable(result).cause)).toBe('55P03');
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(4000);

      await locked.release();
      expect(await dumpSchema(db.pool, db.schema)).toBe(before);
      const claimed = (await claim())._unsafeUnwrap();
      expect(claimed).toHaveLength(1);
      expect((await db.pool.query(`SELECT claims FROM "${db.schema}".data_deletion_jobs`)).rows).toEqual([{ claims: 1 }]);
    });

    it('the rate limiter under ACCESS EXCLUSIVE on its table: StorageUnavailable near lockTimeoutMs, the refused attempt not counted', async () => {
      const limiter = new PostgresRateLimiter({
        pool: db.pool,
        schema: db.schema,
        limit: 2,
        windowSeconds: 60,
        lockTimeoutMs: 1000,
        retryAfterSeconds: 7,
      });
      const now = new Date();
      const locked = await lockTable('rate_limit_windows');
      const { value: result, ms } = await timed(() => limiter.consume('project-a', now));
      console.log(`[postgres lock timeout] rate limiter under ACCESS EXCLUSIVE, lockTimeoutMs=1000: StorageUnavailable after ${ms} ms`);
      expect(code(unavailable(result).cause)).toBe('55P03');
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(4000);

      await locked.release();
      // Limit 2: both requests after the lock are allowed, so the one that timed out counted for nothing.
      expect((await limiter.consume('project-a', now))._unsafeUnwrap()).toEqual({ allowed: true });
      expect((await limiter.consume('project-a', now))._unsafeUnwrap()).toEqual({ allowed: true });
      expect((await limiter.consume('project-a', now))._unsafeUnwrap().allowed).toBe(false);
    });

    it("the timeouts are SET LOCAL: the host's pooled connection keeps its own settings", async () => {
      const pool = testPool({ max: 1 });
      extraPools.push(pool);
      const storage = await open({ lockTimeoutMs: 1234, statementTimeoutMs: 4321 }, pool);
      await createWithData(storage, 1);
      const settings = await pool.query<{ lock: string; statement: string }>(
        `SELECT current_setting('lock_timeout') AS lock, current_setting('statement_timeout') AS statement`,
      );
      expect(settings.rows).toEqual([{ lock: '0', statement: '0' }]);
    });
  });

  describe('an exhausted pool', () => {
    it('max 1 with the only client held and no connectionTimeoutMillis: StorageUnavailable near acquireTimeoutMs; the late client goes back to the pool', async () => {
      const pool = testPool({ max: 1, connectionTimeoutMillis: 0 });
      extraPools.push(pool);
      const storage = await open({ acquireTimeoutMs: 800 }, pool);
      const limiter = new PostgresRateLimiter({
        pool,
        schema: db.schema,
        limit: 5,
        windowSeconds: 60,
        acquireTimeoutMs: 800,
        retryAfterSeconds: 7,
      });
      const image = await createWithData(storage, 1);
      const client = await pool.connect();

      const { value: deleted, ms } = await timed(() => storage.images.deleteImage(deleteImageRequest(image, new Date())));
      console.log(`[postgres pool wait] pool of 1 held elsewhere, acquireTimeoutMs=800: StorageUnavailable after ${ms} ms`);
      expect(unavailable(deleted).cause).toBeInstanceOf(DeadlineExceededError);
      expect(ms).toBeGreaterThanOrEqual(700);
      expect(ms).toBeLessThan(3000);
      const { value: consumed, ms: limiterMs } = await timed(() => limiter.consume('project-a', new Date()));
      expect(unavailable(consumed).cause).toBeInstanceOf(DeadlineExceededError);
      expect(limiterMs).toBeLessThan(3000);

      client.release();
      expect((await storage.images.deleteImage(deleteImageRequest(image, new Date())))._unsafeUnwrap().kind).toBe('Deleted');
      expect((await limiter.consume('project-a', new Date()))._unsafeUnwrap()).toEqual({ allowed: true });
      // Both abandoned waits got the client later and gave it straight back.
      expect({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }).toEqual({ total: 1, idle: 1, waiting: 0 });
    });
  });

  describe('a server that stops answering', () => {
    it('after receiving the delete: StorageUnavailable 1 s after statementTimeoutMs, the connection destroyed, the delete never committed; no new connection waited for past acquireTimeoutMs', async () => {
      const proxy = await freezableProxy();
      const pool = new pg.Pool({ connectionString: proxy.url, max: 2 });
      pool.on('error', () => {});
      const direct = await open();
      const image = await createWithData(direct, 2);
      try {
        const instrumented = new InstrumentedPool(pool);
        const storage = await open({ statementTimeoutMs: 500, acquireTimeoutMs: 800 }, instrumented);
        // The delete statement reaches PostgreSQL and runs there; its answer (and every later byte) is lost.
        instrumented.before(named('deleteImage'), async () => proxy.freeze());
        const { value: deleted, ms } = await timed(() => storage.images.deleteImage(deleteImageRequest(image, new Date())));
        console.log(`[postgres silent server] statementTimeoutMs=500: StorageUnavailable after ${ms} ms`);
        expect(unavailable(deleted).cause).toBeInstanceOf(DeadlineExceededError);
        expect(ms).toBeGreaterThanOrEqual(1400);
        expect(ms).toBeLessThan(4000);
        expect(pool.totalCount).toBe(0);

        // No idle connection is left: the pool opens one through the silent proxy, which never completes.
        const { value: read, ms: acquireMs } = await timed(() => storage.images.findById(image.id));
        expect(unavailable(read).cause).toBeInstanceOf(DeadlineExceededError);
        expect(acquireMs).toBeGreaterThanOrEqual(700);
        expect(acquireMs).toBeLessThan(3000);
      } finally {
        await proxy.close();
        await pool.end();
      }
      // Closing the connection ended its transaction uncommitted: the same delete now deletes (it waits for that backend's row lock to go).
      expect((await direct.images.deleteImage(deleteImageRequest(image, new Date())))._unsafeUnwrap().kind).toBe('Deleted');
      expect(await sideEffects(db.pool, db.schema, image.id)).toEqual({ events: 1, jobs: 2 });
    });
  });
});
