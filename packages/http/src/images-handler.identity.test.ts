// Host identity through the Fetch handler: a resolver over the Request replaces tokens, and the rest of the pipeline stays as it was.
import { createServer, type IncomingMessage } from 'node:http';
import { DeleteImage, defaultDeletePolicy, systemClock, type Principal } from '@image-catalog/core';
import { createMemoryStorage } from '@image-catalog/memory';
import { CONFORMANCE_PRINCIPALS, CONFORMANCE_TOKENS, conformanceNewImage, type HttpConformanceImageSpec } from '@image-catalog/testkit';
import { describe, expect, it } from 'vitest';
import { INTERNAL_ERROR_MESSAGE } from './fault.js';
import { authenticated, identityUnavailable, unauthenticated, type Identity, type IdentityResolver } from './identity.port.js';
import { createImagesHandler, type ImagesPipelineOptions } from './images-handler.js';
import type { ImagesRequest } from './images-request.js';
import { InProcessRateLimiter } from './in-process-rate-limiter.js';
import { createNodeListener } from './node/node-listener.js';
import { StaticTokenAuthenticator } from './static-token-authenticator.js';
import { PINO_LEVEL, pinoLines } from './test-support/pino-lines.js';

const REQUEST_ID = /^req-[0-9a-f-]{36}$/;
const OWNER_MEMBER = CONFORMANCE_PRINCIPALS[CONFORMANCE_TOKENS.ownerMember]!;
const OWNER_READER = CONFORMANCE_PRINCIPALS[CONFORMANCE_TOKENS.ownerReader]!;

/** A session cookie → principal map, as a host's own session store would hold. */
const SESSIONS: Readonly<Record<string, Principal>> = { 'sid-member': OWNER_MEMBER, 'sid-reader': OWNER_READER };

function sessionOf(cookieHeader: string | null): string | null {
  return /(?:^|;\s*)sid=([^;]+)/.exec(cookieHeader ?? '')?.[1] ?? null;
}

/** The host's identity: a session cookie read from the Fetch Request. */
const cookieIdentity: IdentityResolver<Request> = (request) => {
  const principal = SESSIONS[sessionOf(request.headers.get('cookie')) ?? ''];
  return principal ? authenticated(principal) : unauthenticated();
};

function service(identify: IdentityResolver<Request>, options: Partial<ImagesPipelineOptions> = {}) {
  const store = createMemoryStorage();
  const log = pinoLines();
  const handler = createImagesHandler({
    basePath: '/v2',
    deleteImage: new DeleteImage(store.images, defaultDeletePolicy, systemClock, null),
    identify,
    logger: log.logger,
    ...options,
  });
  const create = async (spec: HttpConformanceImageSpec = {}) =>
    (await store.catalog.createImage(conformanceNewImage(spec), new Date()))._unsafeUnwrap().id;
  const call = (id: string, init: RequestInit = {}) =>
    handler(new Request(`http://images.test/v2/images/${id}`, { method: 'DELETE', ...init }));
  return { handler, store, log, create, call };
}

describe('createImagesHandler with host identity (Fetch Request)', () => {
  it('answers a cookie request exactly as a token request: 204, 403 for a reader, 404 for an unknown image', async () => {
    const cookie = service(cookieIdentity);
    const tokenStore = createMemoryStorage();
    const tokenHandler = createImagesHandler({
      basePath: '/v2',
      deleteImage: new DeleteImage(tokenStore.images, defaultDeletePolicy, systemClock, null),
      authenticator: new StaticTokenAuthenticator(CONFORMANCE_PRINCIPALS),
    });
    const tokenImage = async () => (await tokenStore.catalog.createImage(conformanceNewImage({}), new Date()))._unsafeUnwrap().id;
    const cases = [
      ['sid-member', CONFORMANCE_TOKENS.ownerMember, 204],
      ['sid-reader', CONFORMANCE_TOKENS.ownerReader, 403],
    ] as const;
    for (const [sid, tokenValue, status] of cases) {
      const byCookie = await cookie.call(await cookie.create(), { headers: { cookie: `theme=dark; sid=${sid}` } });
      const byToken = await tokenHandler(
        new Request(`http://images.test/v2/images/${await tokenImage()}`, { method: 'DELETE', headers: { 'x-auth-token': tokenValue } }),
      );
      expect([byCookie.status, byToken.status]).toEqual([status, status]);
      const withoutRequestId = async (res: Response) => (await res.text()).replace(/req-[0-9a-f-]{36}/, 'req-id');
      expect(await withoutRequestId(byCookie)).toBe(await withoutRequestId(byToken));
      expect(byCookie.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID);
    }
    const unknown = await cookie.call(globalThis.crypto.randomUUID(), { headers: { cookie: 'sid=sid-member' } });
    expect(unknown.status).toBe(404);
    expect(Object.keys((await unknown.json()) as object)).toEqual(['itemNotFound']);
  });

  it('deletes the image for the principal the host named', async () => {
    const { create, call, store } = service(cookieIdentity);
    const id = await create();
    expect((await call(id, { headers: { cookie: 'sid=sid-member' } })).status).toBe(204);
    expect((await store.images.findById(id))._unsafeUnwrap()?.status).toBe('deleted');
  });

  it('answers Unauthenticated with our 401, WWW-Authenticate, a fault body and a request id; tokens mean nothing to it', async () => {
    const { create, call } = service(cookieIdentity, { wwwAuthenticate: 'Cookie realm="console"' });
    const id = await create();
    for (const headers of [{}, { cookie: 'sid=expired' }, { 'x-auth-token': CONFORMANCE_TOKENS.admin }] as Record<string, string>[]) {
      const res = await call(id, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Cookie realm="console"');
      expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID);
      expect(await res.json()).toMatchObject({ unauthorized: { code: 401 } });
    }
  });

  it('hands the resolver the very Request it was called with, and the pipeline view of it', async () => {
    const seen: [Request, ImagesRequest][] = [];
    const { call, handler } = service((request, view) => {
      seen.push([request, view]);
      return unauthenticated();
    });
    await call('x', { headers: { cookie: 'sid=a' } });
    const request = new Request('http://images.test/v2/images/y', { method: 'DELETE' });
    await handler(request);
    expect(seen[1]![0]).toBe(request);
    expect(seen[0]![1].method).toBe('DELETE');
    expect(seen[0]![1].path).toBe('/v2/images/x');
    expect(seen[0]![1].header('cookie')).toBe('sid=a');
  });

  it('is not asked for OPTIONS or while draining; 405 comes after it', async () => {
    let asked = 0;
    const counting: IdentityResolver<Request> = (request) => {
      asked += 1;
      return cookieIdentity(request, null as never);
    };
    const { call, handler } = service(counting, { isDraining: () => draining });
    let draining = false;
    expect((await call('x', { method: 'OPTIONS' })).status).toBe(204);
    expect(asked).toBe(0);
    expect((await call('x', { method: 'GET' })).status).toBe(401);
    const get = await call('x', { method: 'GET', headers: { cookie: 'sid=sid-member' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('DELETE, OPTIONS');
    expect(asked).toBe(2);
    draining = true;
    expect((await handler(new Request('http://images.test/v2/images/x', { method: 'DELETE' }))).status).toBe(503);
    expect(asked).toBe(2);
  });

  it('rate-limits the principal the host named', async () => {
    const { create, call } = service(cookieIdentity, {
      rateLimiter: new InProcessRateLimiter({ limit: 1, windowSeconds: 3600 }),
      overLimitStatus: 429,
    });
    expect((await call(await create(), { headers: { cookie: 'sid=sid-member' } })).status).toBe(204);
    const limited = await call(await create(), { headers: { cookie: 'sid=sid-member' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('takes a synchronous or asynchronous answer', async () => {
    // A thenable that is not a Promise, as some libraries return.
    const thenable: PromiseLike<Identity> = {
      then: (onFulfilled, onRejected) => Promise.resolve(authenticated(OWNER_MEMBER)).then(onFulfilled, onRejected),
    };
    const answers: IdentityResolver<Request>[] = [
      () => authenticated(OWNER_MEMBER),
      async () => authenticated(OWNER_MEMBER),
      () => thenable,
    ];
    for (const identify of answers) {
      const { create, call } = service(identify);
      expect((await call(await create())).status).toBe(204);
    }
  });

  it('answers IdentityUnavailable with 503 + Retry-After (5 by default), its cause logged under err at warn', async () => {
    const { call, log } = service(() => identityUnavailable({ cause: new Error('session store: ECONNREFUSED') }));
    const res = await call('x');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ serviceUnavailable: { code: 503 } });
    const line = log.lines().at(-1)!;
    expect(line.level).toBe(PINO_LEVEL.warn);
    expect(line.err?.message).toBe('session store: ECONNREFUSED');
    const later = service(() => identityUnavailable({ retryAfterSeconds: 30 }));
    expect((await later.call('x')).headers.get('retry-after')).toBe('30');
  });

  it('answers a resolver that throws, rejects or answers garbage with 500, the error logged under err', async () => {
    const broken: [IdentityResolver<Request>, RegExp][] = [
      [
        () => {
          throw new Error('session decode failed at /srv/session.js:1:1');
        },
        /session decode failed/,
      ],
      [() => Promise.reject(new Error('redis timeout')), /redis timeout/],
      [() => ({ kind: 'LoggedIn', user: 'alice' }) as unknown as Identity, /kind "LoggedIn"/],
      [() => authenticated({ userId: 'alice' } as unknown as Principal), /projectId/],
    ];
    for (const [identify, logged] of broken) {
      const { call, log } = service(identify);
      const res = await call(globalThis.crypto.randomUUID());
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).toContain(INTERNAL_ERROR_MESSAGE);
      expect(text).not.toMatch(/session|redis|LoggedIn|projectId/);
      const line = log.lines().at(-1)!;
      expect(line.level).toBe(PINO_LEVEL.error);
      expect(line.err?.message).toMatch(logged);
    }
  });

  it('refuses options with neither or both of identify and authenticator', () => {
    const base = { deleteImage: new DeleteImage(createMemoryStorage().images, defaultDeletePolicy, systemClock, null) };
    const authenticator = new StaticTokenAuthenticator({});
    expect(() => createImagesHandler(base as never)).toThrow(/identify .* or authenticator .* is required/);
    expect(() => createImagesHandler({ ...base, identify: cookieIdentity, authenticator } as never)).toThrow(
      /either identify or authenticator, not both/,
    );
    // @ts-expect-error: exactly one of them, checked by the compiler too.
    expect(() => createImagesHandler({ ...base, identify: cookieIdentity, authenticator })).toThrow(TypeError);
  });
});

describe('host identity under createNodeListener (IncomingMessage)', () => {
  it("hands the resolver node's request, e.g. to trust a peer address", async () => {
    const store = createMemoryStorage();
    const peers: (string | undefined)[] = [];
    const handler = createImagesHandler({
      basePath: '/v2',
      deleteImage: new DeleteImage(store.images, defaultDeletePolicy, systemClock, null),
      identify: (req: IncomingMessage) => {
        peers.push(req.socket.remoteAddress);
        return req.headers['x-gateway-user'] === 'alice' ? authenticated(OWNER_MEMBER) : unauthenticated();
      },
    });
    const server = createServer(createNodeListener(handler));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const id = (await store.catalog.createImage(conformanceNewImage({}), new Date()))._unsafeUnwrap().id;
      expect((await fetch(`http://127.0.0.1:${port}/v2/images/${id}`, { method: 'DELETE' })).status).toBe(401);
      expect(
        (await fetch(`http://127.0.0.1:${port}/v2/images/${id}`, { method: 'DELETE', headers: { 'x-gateway-user': 'alice' } })).status,
      ).toBe(204);
      expect(peers).toEqual(['127.0.0.1', '127.0.0.1']);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('keeps resolvers and entry points apart at compile time', () => {
    const deleteImage = new DeleteImage(createMemoryStorage().images, defaultDeletePolicy, systemClock, null);
    const overFetch = createImagesHandler({ deleteImage, identify: cookieIdentity });
    const overNode = createImagesHandler({
      deleteImage,
      identify: (req: IncomingMessage) => (req.headers.cookie ? unauthenticated() : unauthenticated()),
    });
    const byToken = createImagesHandler({ deleteImage, authenticator: new StaticTokenAuthenticator({}) });
    // @ts-expect-error: a resolver reading a Fetch Request cannot serve node's requests.
    createNodeListener(overFetch);
    createNodeListener(overNode);
    createNodeListener(byToken);
    const fetchRequest = new Request('http://images.test/v2/images/x');
    // @ts-expect-error: a resolver reading node's request cannot be handed a Fetch Request.
    void overNode(fetchRequest).catch(() => undefined);
    void byToken(fetchRequest);
    void overFetch(fetchRequest);
  });
});
