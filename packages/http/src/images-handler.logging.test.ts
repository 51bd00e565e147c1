// What the handler's log says through a real pino: causes under `err` with message and stack, and an outage's causes bounded.
import {
  storageFault,
  storageUnavailable,
  type DeleteImageFailure,
  type ImageDeleted,
  type Principal,
  type StorageError,
} from '@image-catalog/core';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { authenticated } from './identity.port.js';
import { createImagesHandler, type ImagesPipelineOptions } from './images-handler.js';
import type { RateLimiter } from './rate-limiter.port.js';
import { PINO_LEVEL, pinoLines } from './test-support/pino-lines.js';

const ALICE: Principal = { userId: 'alice', projectId: 'p1', roles: ['member'] };
const ID = '6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e';

const deleted = (imageId: string): ResultAsync<ImageDeleted, DeleteImageFailure> =>
  okAsync({ imageId, status: 'deleted', deletedAt: new Date(0), eventId: 'e', dataDeletionJobs: 0, inlineDataDeletion: null });

/** A handler whose use case answers `outcome()`, with "now" under the test's control and pino behind it. */
function service(outcome: () => ResultAsync<ImageDeleted, DeleteImageFailure>, options: Partial<ImagesPipelineOptions> = {}) {
  let nowMs = Date.parse('2025-01-01T00:00:00Z');
  const log = pinoLines();
  const handler = createImagesHandler({
    deleteImage: { execute: () => outcome() },
    identify: () => authenticated(ALICE),
    logger: log.logger,
    clock: { now: () => new Date(nowMs) },
    ...options,
  });
  const call = () => handler(new Request(`http://images.test/images/${ID}`, { method: 'DELETE' }));
  return { log, call, advanceSeconds: (s: number) => void (nowMs += s * 1000) };
}

describe('createImagesHandler log: causes under err', () => {
  it.each<[string, () => ResultAsync<ImageDeleted, DeleteImageFailure>, number, string]>([
    [
      'a storage outage (503, warn)',
      () => errAsync(storageUnavailable(new Error('SQLITE_BUSY: database is locked'))),
      PINO_LEVEL.warn,
      'SQLITE_BUSY: database is locked',
    ],
    [
      'a storage fault (500, error)',
      () => errAsync(storageFault(new Error('SQLITE_CORRUPT: database disk image is malformed'))),
      PINO_LEVEL.error,
      'SQLITE_CORRUPT: database disk image is malformed',
    ],
    [
      'a defect (500, error)',
      () => {
        throw new TypeError("Cannot read properties of undefined (reading 'id')");
      },
      PINO_LEVEL.error,
      "Cannot read properties of undefined (reading 'id')",
    ],
  ])('keeps the message and stack of %s', async (_name, outcome, level, message) => {
    const { log, call } = service(outcome);
    await call();
    const [line] = log.lines();
    expect(line!.level).toBe(level);
    expect(line!.err?.message).toBe(message);
    expect(line!.err?.stack).toContain(message);
    expect(line).not.toHaveProperty('cause');
  });

  it('logs the cause inside a limiter fault, not the fault data around it', async () => {
    const limiter: RateLimiter = {
      consume: () => errAsync(storageFault(new Error("redis: READONLY You can't write against a read only replica"))),
    };
    const { log, call } = service(() => deleted(ID), { rateLimiter: limiter });
    expect((await call()).status).toBe(500);
    expect(log.lines()[0]!.err?.message).toBe("redis: READONLY You can't write against a read only replica");
  });

  it('logs an authenticator fault with its cause chained', async () => {
    const broken = {
      authenticate: (): ResultAsync<Principal | null, StorageError> => errAsync(storageFault(new Error('keystone: 502 Bad Gateway'))),
    };
    const log = pinoLines();
    const handler = createImagesHandler({ deleteImage: { execute: (c) => deleted(c.imageId) }, authenticator: broken, logger: log.logger });
    const res = await handler(new Request(`http://images.test/images/${ID}`, { method: 'DELETE', headers: { 'x-auth-token': 't' } }));
    expect(res.status).toBe(500);
    const { err } = log.lines()[0]!;
    expect(err?.message).toMatch(/^authenticator fault: .*keystone: 502 Bad Gateway/);
    expect(err?.stack).toContain('keystone: 502 Bad Gateway');
  });
});

describe('createImagesHandler log: an outage writes its cause once per interval', () => {
  it('logs the first cause in full, then plain request lines, a count per interval, and a recovery line', async () => {
    let down = true;
    const { log, call, advanceSeconds } = service(() =>
      down ? errAsync(storageUnavailable(new Error('SQLITE_BUSY: database is locked'))) : deleted(ID),
    );

    for (let i = 0; i < 2_000; i++) expect((await call()).status).toBe(503);
    let lines = log.lines();
    expect(lines).toHaveLength(2_000);
    const withCause = lines.filter((l) => l.err !== undefined);
    expect(withCause).toHaveLength(1);
    expect(withCause[0]!.err?.message).toBe('SQLITE_BUSY: database is locked');
    expect(lines.filter((l) => l.level >= PINO_LEVEL.warn)).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({
      level: PINO_LEVEL.info,
      status: 503,
      failure: 'StorageUnavailable',
      msg: 'request failed; cause as logged earlier',
    });
    // Without the bound every line carried a stack; now the storm is plain request lines.
    expect(log.bytes() / lines.length).toBeLessThan(400);

    advanceSeconds(60);
    await call();
    lines = log.lines();
    expect(lines.at(-1)).toMatchObject({
      level: PINO_LEVEL.warn,
      repeated: 1_999,
      msg: 'request failed; 1999 more like it since the last logged cause',
    });
    expect(lines.at(-1)!.err?.message).toBe('SQLITE_BUSY: database is locked');

    down = false;
    expect((await call()).status).toBe(204);
    expect(log.lines().at(-1)).toMatchObject({
      level: PINO_LEVEL.info,
      failure: 'StorageUnavailable',
      failures: 2_001,
      repeated: 0,
      durationMs: 60_000,
      msg: 'StorageUnavailable: recovered after 2001 failed requests',
    });

    down = true;
    await call();
    expect(log.lines().at(-1)!.err?.message).toBe('SQLITE_BUSY: database is locked');
  });

  it('logs every cause with causeLogIntervalSeconds: 0', async () => {
    const { log, call } = service(() => errAsync(storageUnavailable(new Error('locked'))), { causeLogIntervalSeconds: 0 });
    for (let i = 0; i < 3; i++) await call();
    expect(log.lines().map((l) => l.err?.message)).toEqual(['locked', 'locked', 'locked']);
  });
});
