// With PostgreSQL unreachable, slow or gone, every port answers StorageUnavailable as a value: never a throw, never a hang.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { ResultAsync } from 'neverthrow';
import type { StorageError } from '@image-catalog/core';
import type { InvalidImageInput, QuotaExceeded, UnknownMarker } from '@image-catalog/core/authoring';
import { deleteImageRequest, imageFixture, type StoragePortMethod } from '@image-catalog/testkit';
import { migrate } from './migrations.js';
import { openPostgresStorage, uncheckedPostgresStorage, type PostgresStorage } from './postgres-storage.js';
import { PostgresRateLimiter } from './postgres-rate-limiter.js';
import { admin, deleteImageUseCase } from './test-support/fixtures.js';

/** A TCP server that accepts and then does `onSocket` with each connection (answers nothing). */
async function listen(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port, sockets };
}

async function close(target: { server: Server; sockets: Set<Socket> }): Promise<void> {
  for (const socket of target.sockets) socket.destroy();
  await new Promise<void>((resolve) => target.server.close(() => resolve()));
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = await listen(() => {});
  await close(probe);
  return probe.port;
}

function poolAt(port: number, connectionTimeoutMillis = 2_000): pg.Pool {
  const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, max: 2, connectionTimeoutMillis });
  pool.on('error', () => {});
  return pool;
}

type PortCall = () => ResultAsync<unknown, StorageError | { kind: 'Conflict' } | InvalidImageInput | UnknownMarker | QuotaExceeded>;

/** Every port method once; each must resolve (not reject) to a StorageUnavailable error. */
/** Typed by testkit's `StoragePortMethod`, so a port method added later fails compilation here until it is covered. */
function portCalls({ images, catalog, jobs, outbox }: PostgresStorage): Record<StoragePortMethod, PortCall> {
  const id = globalThis.crypto.randomUUID();
  const now = new Date();
  return {
    findById: () => images.findById(id),
    deleteImage: () => images.deleteImage(deleteImageRequest({ id }, now)),
    restoreImage: () => images.restoreImage(id, now),
    createImage: () => catalog.createImage(imageFixture({ id }), now),
    listImages: () => catalog.listImages({}),
    updateImage: () => catalog.updateImage(id, { protected: true }, now),
    addMember: () => catalog.addMember(id, 'p2', now),
    attachImageData: () => catalog.attachImageData(id, { url: 'x', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h' }, now),
    claimDue: () => jobs.claimDue({ now, limit: 5, leaseSeconds: 30 }),
    complete: () => jobs.complete(id, now),
    fail: () => jobs.fail(id, { now, error: 'e', retryAt: null }),
    listJobs: () => jobs.listJobs({}),
    requeueDead: () => jobs.requeueDead(now),
    counts: () => jobs.counts(),
    nextDueAt: () => jobs.nextDueAt(),
    purgeDeletedChildren: () => jobs.purgeDeletedChildren({ olderThan: now, limit: 5 }),
    claimPending: () => outbox.claimPending({ now, limit: 5, leaseSeconds: 30 }),
    markDelivered: () => outbox.markDelivered([id], now),
    markFailed: () => outbox.markFailed(id, { now, error: 'e', retryAt: now }),
    listEvents: () => outbox.listEvents({}),
  };
}

const PORT_METHODS = [
  'findById',
  'deleteImage',
  'restoreImage',
  'createImage',
  'listImages',
  'updateImage',
  'addMember',
  'attachImageData',
  'claimDue',
  'complete',
  'fail',
  'listJobs',
  'requeueDead',
  'counts',
  'nextDueAt',
  'purgeDeletedChildren',
  'claimPending',
  'markDelivered',
  'markFailed',
  'listEvents',
] as const satisfies readonly StoragePortMethod[];

async function expectUnavailable(call: PortCall): Promise<void> {
  const result = await call();
  expect(result.isErr() && result.error).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 3 });
}

describe('postgres unreachable (no server needed)', () => {
  describe('nothing listens on the port', () => {
    let pool: pg.Pool;
    let store: PostgresStorage;

    beforeAll(async () => {
      pool = poolAt(await closedPort());
      // Built without the start-up schema check, which needs the server: the server went away after start.
      store = uncheckedPostgresStorage(pool, { retryAfterSeconds: 3 });
    });
    afterAll(async () => {
      await pool.end();
    });

    it('covers every port method', () => {
      expect(Object.keys(portCalls(store)).sort()).toEqual([...PORT_METHODS].sort());
    });

    it.each(PORT_METHODS)('%s answers StorageUnavailable', async (name) => {
      await expectUnavailable(portCalls(store)[name]);
    });

    it('DeleteImage answers StorageUnavailable (the 503) with Retry-After', async () => {
      const result = await deleteImageUseCase(store.images).execute({ imageId: globalThis.crypto.randomUUID(), principal: admin });
      expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: 3 });
    });

    it('the shared rate limiter answers StorageUnavailable', async () => {
      const limiter = new PostgresRateLimiter({ pool, limit: 5, windowSeconds: 60, retryAfterSeconds: 3 });
      expect((await limiter.consume('project-a', new Date()))._unsafeUnwrapErr()).toMatchObject({
        kind: 'StorageUnavailable',
        retryAfterSeconds: 3,
      });
    });

    it('migrate rejects (a start-up step, not a port)', async () => {
      await expect(migrate(pool)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });

    it('openPostgresStorage rejects (its schema check is a start-up step too)', async () => {
      await expect(openPostgresStorage(pool)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
  });

  it('a server that accepts but never answers: the pool checkout times out → StorageUnavailable', async () => {
    const silent = await listen(() => {});
    const pool = poolAt(silent.port, 300);
    try {
      const { images } = uncheckedPostgresStorage(pool, { retryAfterSeconds: 3 });
      await expectUnavailable(() => images.findById(globalThis.crypto.randomUUID()));
      await expectUnavailable(() => images.restoreImage(globalThis.crypto.randomUUID(), new Date()));
    } finally {
      await pool.end();
      await close(silent);
    }
  });

  it('a server that hangs up at once: connection terminated → StorageUnavailable', async () => {
    const rude = await listen((socket) => socket.destroy());
    const pool = poolAt(rude.port);
    try {
      const { images } = uncheckedPostgresStorage(pool, { retryAfterSeconds: 3 });
      await expectUnavailable(() => images.deleteImage(deleteImageRequest({ id: globalThis.crypto.randomUUID() }, new Date())));
      const limiter = new PostgresRateLimiter({ pool, limit: 1, windowSeconds: 1, retryAfterSeconds: 3 });
      expect((await limiter.consume('k', new Date()))._unsafeUnwrapErr().kind).toBe('StorageUnavailable');
    } finally {
      await pool.end();
      await close(rude);
    }
  });

  it('a pool the host has already ended (shutting down) → StorageUnavailable', async () => {
    const pool = poolAt(await closedPort());
    await pool.end();
    const { images, jobs } = uncheckedPostgresStorage(pool, { retryAfterSeconds: 3 });
    await expectUnavailable(() => images.findById(globalThis.crypto.randomUUID()));
    await expectUnavailable(() => jobs.complete(globalThis.crypto.randomUUID(), new Date()));
  });
});
