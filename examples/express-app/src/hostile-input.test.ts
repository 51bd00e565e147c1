// Hostile and careless input against the whole example service: always a documented 4xx, nothing leaked, and it keeps answering.
import {
  DOCUMENTED_STATUSES,
  expectNothingLeaked,
  HOSTILE_ID_SEGMENTS,
  rawHttpRequest,
  REQUEST_ID_PATTERN,
  UNICODE_ID_SEGMENTS,
  type RawHttpResponse,
} from '@image-catalog/testkit';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, createImageOverHttp, startInProcessService, type InProcessService } from './test-support/in-process-service.js';

const ADMIN = 'demo-admin-token';
const MEMBER = 'demo-member-token';
/** Statuses of the DELETE contract plus those of the Glance-compatible endpoints around it. */
const SERVICE_STATUSES: readonly number[] = [...DOCUMENTED_STATUSES, 200, 201, 300, 409, 415];

let svc: InProcessService;
let host = '';

beforeAll(async () => {
  svc = await startInProcessService();
  host = new URL(svc.url).host;
});
afterAll(async () => {
  await svc?.close();
});
afterEach(async () => {
  // Whatever came before, the service still answers, and logged no failure of its own.
  const res = await fetch(`${svc.url}/versions`);
  expect(res.status).toBe(200);
  await res.body?.cancel();
  const failures = svc.logs.splice(0).filter((entry) => entry.level === 'error');
  expect(
    failures.map((f) => f.msg),
    'no error logged for client input',
  ).toEqual([]);
});

/** Sends a raw request (`Connection: close` added) and checks what every answer must satisfy. */
async function send(head: string, body: string | Buffer = '', hostileId?: string): Promise<RawHttpResponse> {
  const [requestLine, ...headers] = head.split('\r\n').filter((l) => l !== '');
  const message = Buffer.concat([
    Buffer.from(`${requestLine}\r\nHost: ${host}\r\n${headers.map((h) => `${h}\r\n`).join('')}Connection: close\r\n\r\n`, 'latin1'),
    Buffer.from(body),
  ]);
  const res = await rawHttpRequest(svc.url, message);
  expectAcceptable(res, `${requestLine!.slice(0, 120)}`, hostileId);
  return res;
}

function expectAcceptable(res: RawHttpResponse, what: string, hostileId?: string): void {
  expect(res.status, `${what}: the server answered`).not.toBeNull();
  expect(res.status!, `${what}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
  expect(SERVICE_STATUSES, `${what}: documented status`).toContain(res.status);
  expect(res.headers['x-openstack-request-id'] ?? '', `${what}: request id`).toMatch(REQUEST_ID_PATTERN);
  expectNothingLeaked(res.body, hostileId);
  for (const marker of ['/tmp', '/work', svc.dataDir, 'SQLITE', 'node_modules']) expect(res.body, what).not.toContain(marker);
}

const tokenHeader = `X-Auth-Token: ${ADMIN}`;

describe('hostile image ids on every image path', () => {
  const ids = [...HOSTILE_ID_SEGMENTS, ...UNICODE_ID_SEGMENTS.map(encodeURIComponent), 'a'.repeat(70_000 / 8)];
  const routes: readonly (readonly [string, (id: string) => string])[] = [
    ['DELETE', (id) => `/v2/images/${id}`],
    ['GET', (id) => `/v2/images/${id}`],
    ['PATCH', (id) => `/v2/images/${id}`],
    ['PUT', (id) => `/v2/images/${id}/file`],
    ['POST', (id) => `/v2/images/${id}/members`],
    ['POST', (id) => `/v2/images/${id}/actions/deactivate`],
    ['OPTIONS', (id) => `/v2/images/${id}`],
  ];

  it.each(routes.map(([method, route]) => [method, route('{id}'), route] as const))(
    '%s %s answers a 4xx and never echoes the id',
    async (method, _label, route) => {
      for (const id of ids) {
        const body =
          method === 'PATCH'
            ? '[{"op":"replace","path":"/name","value":"x"}]'
            : method === 'POST'
              ? '{"member":"p"}'
              : method === 'PUT'
                ? 'data'
                : '';
        const contentType =
          method === 'PATCH'
            ? 'application/openstack-images-v2.1-json-patch'
            : method === 'PUT'
              ? 'application/octet-stream'
              : 'application/json';
        const headers = [tokenHeader, ...(body ? [`Content-Type: ${contentType}`, `Content-Length: ${Buffer.byteLength(body)}`] : [])].join(
          '\r\n',
        );
        const res = await send(`${method} ${route(id)} HTTP/1.1\r\n${headers}`, body, id);
        if (method !== 'OPTIONS') expect([400, 404], `${method} ${id.slice(0, 40)}`).toContain(res.status);
      }
    },
  );
});

describe('hostile request targets, headers and bodies', () => {
  it('answers raw control characters, unicode bytes, dot segments and paths outside /v2 with a 4xx', async () => {
    const targets = [
      '/v2/images/\u0001',
      '/v2/images/caf\u00e9',
      '/v2/images/%E2%82',
      '/v2/images/../../../etc/passwd',
      '/v2/images/%2e%2e/%2e%2e/etc/passwd',
      '/../../etc/passwd',
      '/v2/images/x%00y/file',
      '//v2//images//',
      '/v2/images?name=%zz&limit=-1&limit=2',
      '/v2/images?name[$ne]=x',
      '/v2/../v2/images/%2F',
      `/v2/${'x/'.repeat(2_000)}`,
      '*',
      'http://evil.example/v2/images',
      '/v3/images',
      '/v1/images/detail',
      '/images/00000000-0000-0000-0000-000000000000',
      '/.env',
    ];
    for (const target of targets) {
      for (const method of ['GET', 'DELETE']) {
        const res = await send(`${method} ${target} HTTP/1.1\r\n${tokenHeader}`);
        // Listing with a bad filter is still a listing, and an absolute-form target names a path like any other.
        if (!target.startsWith('/v2/images?') && !target.startsWith('http:'))
          expect(res.status!, `${method} ${target.slice(0, 60)}`).toBeGreaterThanOrEqual(400);
      }
    }
  });

  it('answers headers over 16 KiB with 400 badRequest (not 431), and 8 KiB of headers normally', async () => {
    const huge = await send(
      `DELETE /v2/images/${globalThis.crypto.randomUUID()} HTTP/1.1\r\n${tokenHeader}\r\nX-Padding: ${'p'.repeat(20 * 1024)}`,
    );
    expect(huge.status).toBe(400);
    expect(JSON.parse(huge.body)).toMatchObject({ badRequest: { code: 400 } });
    const many = await send(
      `GET /v2/images HTTP/1.1\r\n${tokenHeader}\r\n${Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'v'.repeat(8)}`).join('\r\n')}`,
    );
    expect(many.status).toBe(200);
    const tokenTooLong = await send(`GET /v2/images HTTP/1.1\r\nX-Auth-Token: ${'t'.repeat(15 * 1024)}`);
    expect(tokenTooLong.status).toBe(401);
  });

  it('refuses bodies on DELETE, however they are framed', async () => {
    const { id } = await createImageOverHttp(svc.api, MEMBER);
    const path = `/v2/images/${id}`;
    for (const [headers, body] of [
      ['Content-Length: 5', 'hello'],
      ['Content-Length: 2\r\nContent-Type: application/json', '{}'],
      ['Transfer-Encoding: chunked', '3\r\nabc\r\n0\r\n\r\n'],
      ['Content-Length: 999999999999', ''],
    ] as const) {
      const res = await send(`DELETE ${path} HTTP/1.1\r\nX-Auth-Token: ${MEMBER}\r\n${headers}`, body);
      expect(res.status, headers).toBe(400);
      expect(res.body).toContain('A body is not expected with this request.');
    }
    expect((await fetch(`${svc.api}/images/${id}`, { headers: authHeaders(MEMBER) })).status).toBe(200);
  });

  it('answers malformed framing (absurd or conflicting Content-Length, bad chunking) with 400', async () => {
    const path = `/v2/images/${globalThis.crypto.randomUUID()}`;
    for (const headers of [
      'Content-Length: -1',
      'Content-Length: abc',
      'Content-Length: 99999999999999999999999999',
      'Content-Length: 1\r\nContent-Length: 2',
      'Content-Length: 3\r\nTransfer-Encoding: chunked',
      'Transfer-Encoding: gzip, chunked, identity',
    ]) {
      const res = await send(`POST /v2/images HTTP/1.1\r\n${tokenHeader}\r\n${headers}`, 'abc');
      expect(res.status, headers).toBe(400);
      const del = await send(`DELETE ${path} HTTP/1.1\r\n${tokenHeader}\r\n${headers}`, 'abc');
      expect(del.status, headers).toBe(400);
    }
    const chunked = await send(`POST /v2/images HTTP/1.1\r\n${tokenHeader}\r\nTransfer-Encoding: chunked`, 'zz\r\nabc\r\n0\r\n\r\n');
    expect(chunked.status).toBe(400);
  });

  it('answers an absurd declared body size on create with 413 without waiting for it', async () => {
    const res = await send(
      `POST /v2/images HTTP/1.1\r\n${tokenHeader}\r\nContent-Type: application/json\r\nContent-Length: 1000000000000`,
      '{',
    );
    expect(res.status).toBe(413);
    const patch = await send(
      `PATCH /v2/images/${(await createImageOverHttp(svc.api, MEMBER)).id} HTTP/1.1\r\nX-Auth-Token: ${MEMBER}\r\nContent-Type: application/openstack-images-v2.1-json-patch\r\nContent-Length: 1000000000000`,
      '[',
    );
    expect(patch.status).toBe(413);
  });

  it('answers bad JSON on POST and PATCH with 400, whatever the Content-Type, encoding or charset', async () => {
    const { id } = await createImageOverHttp(svc.api, MEMBER);
    const bodies = [
      '{',
      '{"name": "x",}',
      '\u0000',
      `${'['.repeat(30_000)}${']'.repeat(30_000)}`,
      '{"__proto__": {"admin": true}, "name": 1}',
      Buffer.from([0xff, 0xfe, 0x00]),
    ];
    for (const body of bodies) {
      const length = Buffer.byteLength(body);
      const create = await send(
        `POST /v2/images HTTP/1.1\r\nX-Auth-Token: ${MEMBER}\r\nContent-Type: application/json\r\nContent-Length: ${length}`,
        body,
      );
      expect(create.status).toBe(400);
      const patch = await send(
        `PATCH /v2/images/${id} HTTP/1.1\r\nX-Auth-Token: ${MEMBER}\r\nContent-Type: application/openstack-images-v2.1-json-patch\r\nContent-Length: ${length}`,
        body,
      );
      expect(patch.status).toBe(400);
    }
    for (const extra of ['Content-Encoding: gzip', 'Content-Encoding: br, snappy']) {
      const res = await send(`POST /v2/images HTTP/1.1\r\nX-Auth-Token: ${MEMBER}\r\n${extra}\r\nContent-Length: 2`, '{}');
      expect(res.status, extra).toBe(415);
    }
    // The prototype key created nothing odd: the image is unchanged and still the caller's.
    expect((await fetch(`${svc.api}/images/${id}`, { headers: authHeaders(MEMBER) })).status).toBe(200);
  });

  it('answers garbage Accept headers with a JSON fault', async () => {
    for (const accept of ['', ';;;', 'q=0', '*/*;q=abc', 'text/plain;q=0, */*;q=0', `${'a/b,'.repeat(2_000)}`, 'application/json\u00ff']) {
      for (const target of [`/v2/images/${globalThis.crypto.randomUUID()}`, '/v2/images/not-an-id', '/nowhere']) {
        const res = await send(`GET ${target} HTTP/1.1\r\n${tokenHeader}\r\nAccept: ${accept}`);
        expect(res.status).toBe(404);
      }
    }
  });

  it('serves HTTP/1.0 clients', async () => {
    const { id } = await createImageOverHttp(svc.api, MEMBER);
    const show = await send(`GET /v2/images/${id} HTTP/1.0\r\nX-Auth-Token: ${MEMBER}`);
    expect(show.status).toBe(200);
    const del = await send(`DELETE /v2/images/${id} HTTP/1.0\r\nX-Auth-Token: ${MEMBER}`);
    expect(del.status).toBe(204);
    const again = await send(`DELETE /v2/images/${id} HTTP/1.0\r\nX-Auth-Token: ${MEMBER}`);
    expect(again.status).toBe(404);
  });

  it('answers unknown and odd methods with a 4xx', async () => {
    for (const method of ['TRACE', 'PROPFIND', 'SEARCH', 'FOO', 'delete', 'GET\u0000', 'M-SEARCH', 'LINK']) {
      await send(`${method} /v2/images/${globalThis.crypto.randomUUID()} HTTP/1.1\r\n${tokenHeader}`);
    }
    const res = await send('GARBAGE');
    expect(res.status).toBe(400);
  });
});

describe('fuzz: random requests never crash the service or leak internals', () => {
  const segment = fc.oneof(
    fc.constantFrom(
      'v2',
      'images',
      'file',
      'members',
      'actions',
      'deactivate',
      'versions',
      'openapi.json',
      '..',
      '.',
      '',
      '%2F',
      '%',
      '%00',
      '%zz',
      '%C0%AF',
    ),
    fc.uuid(),
    fc.constantFrom(...HOSTILE_ID_SEGMENTS),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 20 }).map((s) =>
      Buffer.from(s, 'utf8')
        .toString('latin1')
        .replace(/[\r\n ]/g, ''),
    ),
  );
  const pathArb = fc.array(segment, { minLength: 0, maxLength: 6 }).map((parts) => `/${parts.join('/')}`);
  const methodArb = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'QUERY');
  const headerArb = fc.tuple(
    fc.constantFrom(
      'X-Auth-Token',
      'Authorization',
      'Accept',
      'Content-Type',
      'X-Openstack-Request-Id',
      'Accept-Encoding',
      'Range',
      'Expect',
      'X-Custom',
    ),
    fc.oneof(
      fc.constantFrom(
        ADMIN,
        MEMBER,
        `Bearer ${MEMBER}`,
        'application/json',
        'text/plain',
        'application/problem+json',
        'application/openstack-images-v2.1-json-patch',
        '*/*;q=x',
        'bytes=0-1',
        '100-continue',
      ),
      fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, '')),
    ),
  );
  const bodyArb = fc.oneof(
    fc.constant(''),
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('[{"op":"replace","path":"/protected","value":true}]', '{"member":"x"}'),
  );

  it('300 random requests: documented statuses, request ids, nothing leaked, still answering', async () => {
    await fc.assert(
      fc.asyncProperty(methodArb, pathArb, fc.array(headerArb, { maxLength: 5 }), bodyArb, async (method, target, headers, body) => {
        const lines = headers.map(([name, value]) => `${name}: ${value}`);
        const withLength = body === '' ? lines : [...lines, `Content-Length: ${Buffer.byteLength(body)}`];
        const res = await rawHttpRequest(
          svc.url,
          Buffer.concat([
            Buffer.from(
              `${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n${withLength.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`,
              'latin1',
            ),
            Buffer.from(body),
          ]),
        );
        expectAcceptable(res, `${method} ${target}`);
      }),
      { numRuns: 300, seed: 20_240_501, endOnFailure: true },
    );
  });
});
