// Every documented response of the running example service, in every fault format, validates against the OpenAPI document it serves.
import Database from 'better-sqlite3';
import { openApiDocument } from '@image-catalog/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentPaths, expectDocumented, IMAGE_PATH } from '../../../packages/http/src/test-support/openapi-expectations.js';
import { authHeaders, createImageOverHttp, startInProcessService, type InProcessService } from './test-support/in-process-service.js';

const ADMIN = 'demo-admin-token';
const MEMBER = 'demo-member-token';
const READER = 'demo-reader-token';
const ACCEPTS = [undefined, 'application/json', 'application/problem+json', 'text/plain'] as const;
type Accept = (typeof ACCEPTS)[number];

let svc: InProcessService;
let limited413: InProcessService;
let limited429: InProcessService;

beforeAll(async () => {
  [svc, limited413, limited429] = await Promise.all([
    startInProcessService(),
    startInProcessService({ env: { IMAGE_CATALOG_RATE_LIMIT: '1/3600' } }),
    startInProcessService({ env: { IMAGE_CATALOG_RATE_LIMIT: '1/3600', IMAGE_CATALOG_RATE_LIMIT_STATUS: '429' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([svc?.close(), limited413?.close(), limited429?.close()]);
});

function del(
  base: InProcessService,
  id: string,
  init: { token?: string | null; accept?: Accept; method?: string; body?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers['X-Auth-Token'] = init.token ?? MEMBER;
  if (init.accept) headers.Accept = init.accept;
  return fetch(`${base.api}/images/${id}`, {
    method: init.method ?? 'DELETE',
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
}

/** One way to get each documented status from the running service, for a given Accept. */
const SCENARIOS: readonly (readonly [number, string, (accept: Accept) => Promise<Response>])[] = [
  [400, 'a malformed id', (accept) => del(svc, 'not-an-image-id', { accept })],
  [400, 'a body', (accept) => del(svc, globalThis.crypto.randomUUID(), { accept, body: '{}' })],
  [401, 'no token', (accept) => del(svc, globalThis.crypto.randomUUID(), { accept, token: null })],
  [401, 'an unknown token', (accept) => del(svc, globalThis.crypto.randomUUID(), { accept, token: 'unknown-token-123' })],
  [403, 'a reader', async (accept) => del(svc, (await createImageOverHttp(svc.api, MEMBER)).id, { accept, token: READER })],
  [403, 'a protected image', async (accept) => del(svc, (await createImageOverHttp(svc.api, MEMBER, { protected: true })).id, { accept })],
  [404, 'an unknown image', (accept) => del(svc, globalThis.crypto.randomUUID(), { accept })],
  [405, 'PUT', (accept) => del(svc, globalThis.crypto.randomUUID(), { accept, method: 'PUT' })],
  [405, 'POST', (accept) => del(svc, globalThis.crypto.randomUUID(), { accept, method: 'POST' })],
  [413, 'over the rate limit', (accept) => overLimit(limited413, accept)],
  [429, 'over the rate limit, configured to 429', (accept) => overLimit(limited429, accept)],
  [500, 'a storage fault', (accept) => storageFault(accept)],
];

async function overLimit(service: InProcessService, accept: Accept): Promise<Response> {
  // The first DELETE of a fresh project uses the whole allowance of 1.
  const first = await del(service, globalThis.crypto.randomUUID(), { token: ADMIN });
  await first.body?.cancel();
  return del(service, globalThis.crypto.randomUUID(), { accept, token: ADMIN });
}

/** A DELETE the database refuses for a reason that is neither the client's nor temporary. */
async function storageFault(accept: Accept): Promise<Response> {
  const { id } = await createImageOverHttp(svc.api, MEMBER);
  const db = new Database(svc.config.databasePath);
  try {
    db.exec(
      `CREATE TRIGGER refuse_${id.replace(/-/g, '_')} BEFORE UPDATE ON images WHEN OLD.id = '${id}' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`,
    );
  } finally {
    db.close();
  }
  return del(svc, id, { accept });
}

describe('the example service against its OpenAPI document', () => {
  it('documents every status the DELETE path can answer', () => {
    expect(Object.keys(documentPaths.paths[IMAGE_PATH]!.delete!.responses).sort()).toEqual([
      '204',
      '400',
      '401',
      '403',
      '404',
      '405',
      '413',
      '429',
      '500',
      '503',
    ]);
  });

  it('serves the same document at /openapi.json', async () => {
    expect(await (await fetch(`${svc.url}/openapi.json`)).json()).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });

  it('204: a real delete matches the document', async () => {
    const { id } = await createImageOverHttp(svc.api, MEMBER);
    const res = await del(svc, id);
    expect(res.status).toBe(204);
    await expectDocumented(res, 'delete');
  });

  it('OPTIONS matches the document', async () => {
    const res = await del(svc, globalThis.crypto.randomUUID(), { method: 'OPTIONS', token: null });
    expect(res.status).toBe(204);
    await expectDocumented(res, 'options');
  });

  describe.each(ACCEPTS.map((a) => [a ?? 'no Accept', a] as const))('faults with %s', (_label, accept) => {
    it.each(SCENARIOS.map(([status, what, make]) => [status, what, make] as const))(
      '%i (%s) matches the document',
      async (status, _what, make) => {
        const res = await make(accept);
        expect(res.status).toBe(status);
        await expectDocumented(res, 'delete');
      },
    );
  });

  it(
    '503: storage locked past its busy timeout, in every format, matches the document with Retry-After',
    { timeout: 120_000 },
    async () => {
      const formats = [undefined, 'application/problem+json', 'text/plain'] as const;
      const ids = await Promise.all(formats.map(async () => (await createImageOverHttp(svc.api, MEMBER)).id));
      const locker = new Database(svc.config.databasePath);
      locker.exec('BEGIN IMMEDIATE');
      let responses: Response[];
      try {
        // Each DELETE waits for the write lock (the 5 s busy timeout), then answers 503.
        responses = await Promise.all(formats.map((accept, i) => del(svc, ids[i]!, { accept })));
      } finally {
        locker.exec('ROLLBACK');
        locker.close();
      }
      for (const res of responses) {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
        await expectDocumented(res, 'delete');
      }
      // Once the lock is gone the same deletes succeed: nothing was half-done.
      for (const id of ids) expect((await del(svc, id)).status).toBe(204);
      expect((await fetch(`${svc.api}/images/${ids[0]}`, { headers: authHeaders(MEMBER) })).status).toBe(404);
    },
  );
});
