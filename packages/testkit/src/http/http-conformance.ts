// The HTTP conformance suite: every row of behaviour.md §9 and §10, over real HTTP, against a base URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpConformanceImageSpec } from './conformance-principals.js';
import { allowedMethods, DOCUMENTED_STATUSES, expectJsonFault, expectNothingLeaked, REQUEST_ID_PATTERN } from './fault-assertions.js';
import { HOSTILE_ID_SEGMENTS, UNICODE_ID_SEGMENTS } from './hostile-inputs.js';
import { rawHttpRequest } from './raw-http-request.js';

/** A running deployment, as the suite needs it. */
export interface HttpConformanceTarget {
  /** Where `/images/{image_id}` lives below, e.g. `http://127.0.0.1:8080/v2` (no trailing slash needed). */
  readonly baseUrl: string;
  /**
   * Tokens of: an admin; a member and a reader of the owner project; a member of another
   * project. None of them may be rate limited within the suite's few hundred requests.
   */
  readonly tokens: {
    readonly admin: string;
    readonly ownerMember: string;
    readonly ownerReader: string;
    readonly otherProject: string;
  };
  /** Creates an image as specified and returns its id (a UUID in the default id format). */
  createImage(spec: HttpConformanceImageSpec): Promise<string>;
  /**
   * A token whose project may make `limit` DELETE requests in the suite's run before the
   * rate limit answers `status` (default 413). Leave it out to skip the rate-limit test.
   */
  readonly rateLimited?: { readonly token: string; readonly limit: number; readonly status?: 413 | 429 };
  /**
   * Methods the deployment itself serves on `/images/{image_id}` (e.g. `['GET', 'PATCH']` in a
   * Glance-compatible service, HEAD following GET). The 405 tests leave them out; `Allow` must list them.
   */
  readonly hostMethods?: readonly string[];
  /** Stops the deployment, when the factory started one. */
  close(): Promise<void>;
}

export type HttpConformanceFactory = () => Promise<HttpConformanceTarget>;

const PROTECTED_MESSAGE = (id: string) => `Image ${id} is protected and cannot be deleted.`;
const FORBIDDEN_MESSAGE = 'You are not authorized to complete delete_image action.';
const BODY_MESSAGE = 'A body is not expected with this request.';

const DELETABLE = ['queued', 'saving', 'uploading', 'importing', 'active', 'killed', 'deactivated'] as const;

/** A body stream of the given chunks, sent with `Transfer-Encoding: chunked`. */
function chunked(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

export function describeHttpConformance(name: string, factory: HttpConformanceFactory): void {
  describe(`HTTP conformance: ${name}`, () => {
    let target: HttpConformanceTarget;
    let base = '';

    beforeAll(async () => {
      target = await factory();
      base = target.baseUrl.replace(/\/+$/, '');
    });
    afterAll(async () => {
      await target?.close();
    });

    const url = (segment: string) => `${base}/images/${segment}`;
    const unknownId = () => globalThis.crypto.randomUUID();
    /** Methods the deployment serves itself on the image path (HEAD comes with GET). */
    const hostServes = (method: string) => {
      const served = (target.hostMethods ?? []).map((m) => m.toUpperCase());
      return served.includes(method) || (method === 'HEAD' && served.includes('GET'));
    };
    /** A method the image path refuses with 405. */
    const refusedMethod = () => ['GET', 'PUT', 'POST', 'PATCH'].find((m) => !hostServes(m)) ?? 'TRACE';

    function request(segment: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
      const { token, headers, ...rest } = init;
      const h = new Headers(headers);
      if (token !== null && token !== undefined) h.set('X-Auth-Token', token);
      return fetch(url(segment), { method: 'DELETE', ...rest, headers: h });
    }

    /** The path of the images route below the base URL, for raw requests. */
    const rawPath = (segment: string) => `${new URL(base).pathname.replace(/\/+$/, '')}/images/${segment}`;
    const hostHeader = () => new URL(base).host;

    async function expectDeleted(id: string, token = target.tokens.admin): Promise<void> {
      const again = await request(id, { token });
      await expectJsonFault(again, 404, 'itemNotFound');
    }

    async function expectNotDeleted(id: string): Promise<void> {
      const res = await request(id, { token: target.tokens.admin });
      expect(res.status).toBe(204);
    }

    describe('1. OPTIONS', () => {
      it('answers 204 with Allow: DELETE, OPTIONS, without authentication, with a request id', async () => {
        const res = await fetch(url(unknownId()), { method: 'OPTIONS' });
        expect(res.status).toBe(204);
        expect(allowedMethods(res)).toEqual(expect.arrayContaining(['DELETE', 'OPTIONS']));
        expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID_PATTERN);
        expect(await res.text()).toBe('');
      });

      it('answers OPTIONS even for a malformed id and an invalid token', async () => {
        const res = await fetch(url('not-an-id'), { method: 'OPTIONS', headers: { 'X-Auth-Token': 'wrong' } });
        expect(res.status).toBe(204);
        expect(allowedMethods(res)).toContain('DELETE');
      });
    });

    describe('2. authentication (401)', () => {
      it('refuses a request without a token, with WWW-Authenticate', async () => {
        const id = await target.createImage({});
        const res = await request(id);
        const fault = await expectJsonFault(res, 401, 'unauthorized');
        expect(res.headers.get('www-authenticate') ?? '').not.toBe('');
        expect(fault.message.length).toBeGreaterThan(0);
        await expectNotDeleted(id);
      });

      it.each([
        ['an unknown X-Auth-Token', { 'X-Auth-Token': 'not-a-known-token' }],
        ['an empty X-Auth-Token', { 'X-Auth-Token': '' }],
        ['an unknown bearer token', { Authorization: 'Bearer not-a-known-token' }],
        ['Basic credentials', { Authorization: 'Basic dXNlcjpwYXNz' }],
        ['a malformed Authorization header', { Authorization: 'Bearer' }],
        ['a 4 KiB token', { 'X-Auth-Token': 'x'.repeat(4096) }],
      ])('refuses %s', async (_what, headers) => {
        const res = await request(unknownId(), { headers });
        await expectJsonFault(res, 401, 'unauthorized');
        expect(res.headers.get('www-authenticate') ?? '').not.toBe('');
      });

      it('accepts the token as Authorization: Bearer too', async () => {
        const id = await target.createImage({});
        const res = await fetch(url(id), { method: 'DELETE', headers: { Authorization: `Bearer ${target.tokens.ownerMember}` } });
        expect(res.status).toBe(204);
      });

      it('authenticates before anything else: no token beats a wrong method, a body and a malformed id', async () => {
        await expectJsonFault(await request(unknownId(), { method: refusedMethod() }), 401, 'unauthorized');
        await expectJsonFault(await request(unknownId(), { body: 'x' }), 401, 'unauthorized');
        await expectJsonFault(await request('not-an-id'), 401, 'unauthorized');
      });
    });

    describe('3. method (405)', () => {
      it.for(['GET', 'PUT', 'POST', 'PATCH'])('answers %s with 405 and Allow, and deletes nothing', async (method, ctx) => {
        if (hostServes(method)) {
          ctx.skip();
          return;
        }
        const id = await target.createImage({});
        const res = await request(id, { method, token: target.tokens.ownerMember });
        await expectJsonFault(res, 405, 'badMethod');
        expect(allowedMethods(res)).toEqual(expect.arrayContaining(['DELETE', 'OPTIONS', ...(target.hostMethods ?? []).map((m) => m.toUpperCase())]));
        await expectNotDeleted(id);
      });

      it('answers HEAD with 405 and Allow (and no body)', async (ctx) => {
        if (hostServes('HEAD')) {
          ctx.skip();
          return;
        }
        const res = await request(unknownId(), { method: 'HEAD', token: target.tokens.ownerMember });
        expect(res.status).toBe(405);
        expect(allowedMethods(res)).toContain('DELETE');
        expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID_PATTERN);
      });

      it('checks the method before the body and the id', async () => {
        await expectJsonFault(await request('not-an-id', { method: 'POST', body: 'x', token: target.tokens.ownerMember }), 405, 'badMethod');
      });
    });

    describe('4. rate limit (413 Over Limit, or 429 when configured)', () => {
      it('refuses past the limit with Retry-After and retryAfter / retryAt, per project', async (ctx) => {
        const limited = target.rateLimited;
        if (!limited) {
          ctx.skip();
          return;
        }
        const status = limited.status ?? 413;
        for (let i = 0; i < limited.limit; i++) {
          const res = await request(unknownId(), { token: limited.token });
          expect(res.status, `request ${i + 1} of ${limited.limit} is within the limit`).toBe(404);
          await res.body?.cancel();
        }
        const res = await request(unknownId(), { token: limited.token });
        const fault = await expectJsonFault(res, status, 'overLimit');
        const retryAfter = res.headers.get('retry-after') ?? '';
        expect(retryAfter).toMatch(/^\d+$/);
        expect(fault.detail.retryAfter).toBe(Number(retryAfter));
        expect(typeof fault.detail.retryAt).toBe('string');
        expect(Number.isNaN(Date.parse(fault.detail.retryAt as string))).toBe(false);
        // Another project is not affected.
        const other = await request(unknownId(), { token: target.tokens.otherProject });
        expect(other.status).toBe(404);
      });
    });

    describe('5. request body (400)', () => {
      it('refuses a body with Content-Length, and deletes nothing', async () => {
        const id = await target.createImage({});
        const res = await request(id, { token: target.tokens.ownerMember, body: '{"force": true}', headers: { 'Content-Type': 'application/json' } });
        const fault = await expectJsonFault(res, 400, 'badRequest');
        expect(fault.message).toBe(BODY_MESSAGE);
        await expectNotDeleted(id);
      });

      it('refuses a chunked body carrying bytes, and deletes nothing', async () => {
        const id = await target.createImage({});
        const res = await request(id, { token: target.tokens.ownerMember, body: chunked('', 'x'), duplex: 'half' } as RequestInit & { token: string });
        const fault = await expectJsonFault(res, 400, 'badRequest');
        expect(fault.message).toBe(BODY_MESSAGE);
        await expectNotDeleted(id);
      });

      it('refuses a chunked body on the wire', async () => {
        const id = await target.createImage({});
        const res = await rawHttpRequest(
          base,
          `DELETE ${rawPath(id)} HTTP/1.1\r\nHost: ${hostHeader()}\r\nX-Auth-Token: ${target.tokens.ownerMember}\r\n` +
            `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
        );
        expect(res.status).toBe(400);
        expect(res.body).toContain(BODY_MESSAGE);
        await expectNotDeleted(id);
      });

      it('refuses a large body without waiting for all of it', async () => {
        const id = await target.createImage({});
        const res = await request(id, { token: target.tokens.ownerMember, body: new Uint8Array(4 << 20) });
        await expectJsonFault(res, 400, 'badRequest');
        await expectNotDeleted(id);
      });

      it('accepts Content-Length: 0', async () => {
        const id = await target.createImage({});
        const res = await rawHttpRequest(
          base,
          `DELETE ${rawPath(id)} HTTP/1.1\r\nHost: ${hostHeader()}\r\nX-Auth-Token: ${target.tokens.ownerMember}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        );
        expect(res.status).toBe(204);
        await expectDeleted(id);
      });

      it('accepts an empty chunked body', async () => {
        const id = await target.createImage({});
        const res = await rawHttpRequest(
          base,
          `DELETE ${rawPath(id)} HTTP/1.1\r\nHost: ${hostHeader()}\r\nX-Auth-Token: ${target.tokens.ownerMember}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
        );
        expect(res.status).toBe(204);
        await expectDeleted(id);
      });

      it('accepts an empty fetch body stream', async () => {
        const id = await target.createImage({});
        const res = await request(id, { token: target.tokens.ownerMember, body: chunked(), duplex: 'half' } as RequestInit & { token: string });
        expect(res.status).toBe(204);
      });

      it('checks the body before the id', async () => {
        const fault = await expectJsonFault(await request('not-an-id', { token: target.tokens.ownerMember, body: 'x' }), 400, 'badRequest');
        expect(fault.message).toBe(BODY_MESSAGE);
      });
    });

    describe('6. id and the use case', () => {
      it('answers a malformed id with 400, without echoing it', async () => {
        const raw = 'definitely-not-a-uuid';
        const fault = await expectJsonFault(await request(raw, { token: target.tokens.ownerMember }), 400, 'badRequest', raw);
        expect(fault.message).not.toContain(raw);
      });

      it('answers an unknown id with 404', async () => {
        await expectJsonFault(await request(unknownId(), { token: target.tokens.admin }), 404, 'itemNotFound');
      });

      it('answers 404 for an image the caller cannot see, exactly as for an unknown one', async () => {
        const id = await target.createImage({ visibility: 'private' });
        await expectJsonFault(await request(id, { token: target.tokens.otherProject }), 404, 'itemNotFound');
        await expectNotDeleted(id);
      });

      it('answers 404 once an image is deleted, and for a pending_delete image', async () => {
        const id = await target.createImage({});
        expect((await request(id, { token: target.tokens.ownerMember })).status).toBe(204);
        await expectJsonFault(await request(id, { token: target.tokens.ownerMember }), 404, 'itemNotFound');
        const pending = await target.createImage({ status: 'pending_delete' });
        await expectJsonFault(await request(pending, { token: target.tokens.admin }), 404, 'itemNotFound');
      });

      it('answers 403 when the policy denies: a reader of the owner project', async () => {
        const id = await target.createImage({});
        const fault = await expectJsonFault(await request(id, { token: target.tokens.ownerReader }), 403, 'forbidden');
        expect(fault.message).toBe(FORBIDDEN_MESSAGE);
        await expectNotDeleted(id);
      });

      it('answers 403 when the policy denies: another project on a public, community or shared image', async () => {
        for (const spec of [{ visibility: 'public' }, { visibility: 'community' }, { visibility: 'shared', members: ['otherProject'] }] as const) {
          const id = await target.createImage(spec);
          const fault = await expectJsonFault(await request(id, { token: target.tokens.otherProject }), 403, 'forbidden');
          expect(fault.message).toBe(FORBIDDEN_MESSAGE);
          await expectNotDeleted(id);
        }
      });

      it('answers 403 for an image without owner unless the caller is an admin', async () => {
        const id = await target.createImage({ owner: null, visibility: 'public' });
        await expectJsonFault(await request(id, { token: target.tokens.ownerMember }), 403, 'forbidden');
        expect((await request(id, { token: target.tokens.admin })).status).toBe(204);
      });

      it('answers 403 for a protected image, to its owner and to an admin', async () => {
        const id = await target.createImage({ protected: true });
        for (const token of [target.tokens.ownerMember, target.tokens.admin]) {
          const fault = await expectJsonFault(await request(id, { token }), 403, 'forbidden');
          expect(fault.message).toBe(PROTECTED_MESSAGE(id));
        }
      });

      it('deletes with 204, no body and no Content-Type', async () => {
        const id = await target.createImage({});
        const res = await request(id, { token: target.tokens.ownerMember });
        expect(res.status).toBe(204);
        expect(res.headers.get('content-type')).toBeNull();
        expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID_PATTERN);
        expect(await res.text()).toBe('');
        await expectDeleted(id);
      });

      it('lets an admin delete another project\'s image', async () => {
        const id = await target.createImage({ owner: 'otherProject' });
        expect((await request(id, { token: target.tokens.admin })).status).toBe(204);
      });

      it.each(DELETABLE)('deletes an image in status %s', async (status) => {
        const id = await target.createImage({ status });
        expect((await request(id, { token: target.tokens.ownerMember })).status).toBe(204);
      });

      it('accepts the id in upper case (ids are case-insensitive)', async (ctx) => {
        const id = await target.createImage({});
        if (!/^[0-9a-f-]{36}$/i.test(id)) {
          ctx.skip();
          return;
        }
        expect((await request(id.toUpperCase(), { token: target.tokens.ownerMember })).status).toBe(204);
        await expectDeleted(id);
      });
    });

    describe('request ids', () => {
      it('keeps an incoming req-<uuid> on faults and on 204, and the body repeats it', async () => {
        const incoming = `req-${globalThis.crypto.randomUUID()}`;
        const fault = await expectJsonFault(
          await request(unknownId(), { token: target.tokens.admin, headers: { 'x-openstack-request-id': incoming } }),
          404,
          'itemNotFound',
        );
        expect(fault.requestId).toBe(incoming);
        const id = await target.createImage({});
        const ok = await request(id, { token: target.tokens.ownerMember, headers: { 'x-openstack-request-id': incoming } });
        expect(ok.status).toBe(204);
        expect(ok.headers.get('x-openstack-request-id')).toBe(incoming);
      });

      it.each([
        ['a short id', 'req-123'],
        ['a bare uuid', '6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e'],
        ['a uuid with trailing text', 'req-6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e-x'],
        ['an injection attempt', 'req-6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e<script>'],
        ['empty', ''],
      ])('replaces %s with a fresh req-<uuid>', async (_what, incoming) => {
        const fault = await expectJsonFault(
          await request(unknownId(), { token: target.tokens.admin, headers: { 'x-openstack-request-id': incoming } }),
          404,
          'itemNotFound',
        );
        expect(fault.requestId).not.toBe(incoming);
      });

      it('gives every response its own id', async () => {
        const ids = new Set<string>();
        for (let i = 0; i < 5; i++) {
          const res = await request(unknownId());
          ids.add(res.headers.get('x-openstack-request-id') ?? '');
          await res.body?.cancel();
        }
        expect(ids.size).toBe(5);
      });
    });

    describe('fault formats (Accept)', () => {
      const notFound = (accept?: string) => request(unknownId(), { token: target.tokens.admin, headers: accept === undefined ? {} : { Accept: accept } });

      it.each([
        ['no Accept', undefined],
        ['application/json', 'application/json'],
        ['*/*', '*/*'],
        ['a garbage Accept', 'this is ; not a media type,,;q=x'],
        ['an unsatisfiable Accept', 'text/html, image/png'],
        ['text/plain at a lower q than JSON', 'text/plain;q=0.5, application/json'],
      ])('answers JSON for %s', async (_what, accept) => {
        await expectJsonFault(await notFound(accept), 404, 'itemNotFound');
      });

      it('answers application/problem+json (RFC 9457) when asked', async () => {
        const res = await notFound('application/problem+json');
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json\b/);
        const body = (await res.json()) as Record<string, unknown>;
        expect(body).toMatchObject({ status: 404, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
        expect(body.requestId).toBe(res.headers.get('x-openstack-request-id'));
      });

      it('answers text/plain as "<code> <reason>\\n\\n<message>" when only text/plain is accepted', async () => {
        const res = await notFound('text/plain');
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type') ?? '').toMatch(/^text\/plain\b/);
        expect(await res.text()).toMatch(/^404 Not Found\n\n\S/);
      });

      it('negotiates every fault, e.g. 401 and 405 as text', async () => {
        const unauthorized = await request(unknownId(), { headers: { Accept: 'text/plain' } });
        expect(unauthorized.status).toBe(401);
        expect(await unauthorized.text()).toMatch(/^401 Unauthorized\n\n\S/);
        const bad = await request(unknownId(), { method: refusedMethod(), token: target.tokens.admin, headers: { Accept: 'text/plain' } });
        expect(bad.status).toBe(405);
        expect(await bad.text()).toMatch(/^405 Method Not Allowed\n\n\S/);
      });
    });

    describe('hostile input (behaviour.md §10): documented 4xx, nothing leaked', () => {
      it.each(HOSTILE_ID_SEGMENTS.map((s) => [s.length > 60 ? `${s.slice(0, 40)}… (${s.length} chars)` : s, s]))(
        'DELETE /images/%s',
        async (_label, segment) => {
          const res = await request(segment, { token: target.tokens.admin });
          const text = await res.text();
          expect([400, 404], `${res.status}: ${text.slice(0, 200)}`).toContain(res.status);
          expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID_PATTERN);
          expectNothingLeaked(text, segment);
        },
      );

      it.each(UNICODE_ID_SEGMENTS)('DELETE /images/%s (unicode)', async (segment) => {
        const res = await request(segment, { token: target.tokens.admin });
        const text = await res.text();
        expect([400, 404]).toContain(res.status);
        expectNothingLeaked(text, encodeURIComponent(segment));
        expect(text).not.toContain(segment);
      });

      it.each([
        ['a dot segment', '..'],
        ['a lone percent sign', '%'],
        ['truncated UTF-8', '%E2%82'],
        ['raw UTF-8 bytes', 'caf\u00e9'],
        ['a NUL escape', '%00'],
      ])('answers %s in the raw request target with a documented 4xx', async (_what, segment) => {
        const res = await rawHttpRequest(
          base,
          Buffer.from(`DELETE ${rawPath(segment)} HTTP/1.1\r\nHost: ${hostHeader()}\r\nX-Auth-Token: ${target.tokens.admin}\r\nConnection: close\r\n\r\n`, 'utf8'),
        );
        expect(res.status).not.toBeNull();
        expect(DOCUMENTED_STATUSES).toContain(res.status);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expectNothingLeaked(res.body, segment);
      });

      it('never answers an unparseable request with a 5xx', async () => {
        for (const line of ['DELETE /images/a b HTTP/1.1', 'DELETE /images/\u0001 HTTP/1.1', 'DEL\u0000ETE / HTTP/1.1', 'GARBAGE']) {
          const res = await rawHttpRequest(base, Buffer.from(`${line}\r\nHost: ${hostHeader()}\r\nConnection: close\r\n\r\n`, 'latin1'));
          if (res.status !== null) expect(res.status, line).toBeLessThan(500);
        }
      });

      it('handles large headers within server limits normally', async () => {
        const res = await request(unknownId(), { token: target.tokens.admin, headers: { 'X-Padding': 'p'.repeat(8 * 1024) } });
        await expectJsonFault(res, 404, 'itemNotFound');
      });

      it('answers headers beyond server limits with a documented 4xx (or closes), never a 5xx', async () => {
        const res = await rawHttpRequest(
          base,
          `DELETE ${rawPath(unknownId())} HTTP/1.1\r\nHost: ${hostHeader()}\r\nX-Auth-Token: ${target.tokens.admin}\r\nX-Padding: ${'p'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
        );
        if (res.status !== null) {
          // node:http answers 431 by default; `createClientErrorListener()` keeps it a documented 400.
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(DOCUMENTED_STATUSES).toContain(res.status);
          expectNothingLeaked(res.body);
        }
      });
    });
  });
}
