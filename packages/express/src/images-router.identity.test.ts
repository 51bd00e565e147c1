// Host identity on Express over a real socket: the host's cookie-session middleware sets req.user, the router takes the principal from there.
import { createServer } from 'node:http';
import { DeleteImage, defaultDeletePolicy, systemClock, type Principal } from '@image-catalog/core';
import {
  authenticated,
  identityUnavailable,
  InProcessRateLimiter,
  StaticTokenAuthenticator,
  unauthenticated,
  type ImagesPipelineOptions,
} from '@image-catalog/http';
import { createMemoryStorage } from '@image-catalog/memory';
import {
  CONFORMANCE_PRINCIPALS,
  CONFORMANCE_PROJECTS,
  CONFORMANCE_TOKENS,
  conformanceNewImage,
  limitOnlyKey,
  listenOnLoopbackPerTest,
} from '@image-catalog/testkit';
import express, { type NextFunction, type Request, type Response } from 'express';
import { describe, expect, it } from 'vitest';
import { createImagesRouter, type ExpressIdentityResolver } from './images-router.js';

const REQUEST_ID = /^req-[0-9a-f-]{36}$/;
const RATE_LIMIT = 2;

/** What the host's session middleware adds to Express's request. */
type SessionRequest = Request & { user?: Principal };

/** Session id → principal, the host's own session store; one session per conformance principal. */
const SESSIONS = new Map<string, Principal>(
  Object.entries(CONFORMANCE_TOKENS).map(([name, token]) => [`session-${name}`, CONFORMANCE_PRINCIPALS[token]!]),
);

/** The host's cookie session: a few lines standing in for express-session + passport. */
function cookieSession(req: Request, _res: Response, next: NextFunction): void {
  const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const user = sid === undefined ? undefined : SESSIONS.get(decodeURIComponent(sid));
  if (user) (req as SessionRequest).user = user;
  next();
}

/** The identity the host hands the router: whoever its middleware put on `req.user`. */
const sessionUser: ExpressIdentityResolver = (req) => {
  const user = (req as SessionRequest).user;
  return user ? authenticated(user) : unauthenticated();
};

describe('createImagesRouter with host identity (cookie session on Express)', () => {
  const listen = listenOnLoopbackPerTest();

  /** One catalog, served at /v2 by session cookie and at /token/v2 by token, both rate-limited for the limited project. */
  async function host(options: Partial<Omit<ImagesPipelineOptions, 'basePath'>> = {}, identify: ExpressIdentityResolver = sessionUser) {
    const store = createMemoryStorage();
    const deleteImage = new DeleteImage(store.images, defaultDeletePolicy, systemClock, null);
    const rateLimiter = limitOnlyKey(
      `project:${CONFORMANCE_PROJECTS.limited}`,
      new InProcessRateLimiter({ limit: RATE_LIMIT, windowSeconds: 3600 }),
    );
    const app = express();
    app.use(cookieSession);
    app.use('/v2', createImagesRouter({ deleteImage, identify, rateLimiter, ...options }));
    app.use(
      '/token/v2',
      createImagesRouter({ deleteImage, authenticator: new StaticTokenAuthenticator(CONFORMANCE_PRINCIPALS), rateLimiter, ...options }),
    );
    const { origin } = await listen(createServer(app));
    const create = async () => (await store.catalog.createImage(conformanceNewImage({}), new Date()))._unsafeUnwrap().id;
    const byCookie = (id: string, session: keyof typeof CONFORMANCE_TOKENS | null, init: RequestInit = {}) =>
      fetch(`${origin}/v2/images/${id}`, {
        method: 'DELETE',
        ...init,
        headers: { ...(session ? { cookie: `lang=en; sid=session-${session}` } : {}), ...(init.headers as Record<string, string>) },
      });
    const byToken = (id: string, session: keyof typeof CONFORMANCE_TOKENS) =>
      fetch(`${origin}/token/v2/images/${id}`, { method: 'DELETE', headers: { 'x-auth-token': CONFORMANCE_TOKENS[session] } });
    return { store, create, byCookie, byToken };
  }

  /** Status, fault name and the headers a client relies on; the request id differs per request by design. */
  async function answer(res: globalThis.Response) {
    const body = await res.text();
    return {
      status: res.status,
      fault: body === '' ? null : Object.keys(JSON.parse(body) as object)[0],
      requestId: REQUEST_ID.test(res.headers.get('x-openstack-request-id') ?? ''),
      contentType: res.headers.get('content-type'),
    };
  }

  it('deletes an image for a cookie-authenticated member: 204, and the image is gone', async () => {
    const { create, byCookie, store } = await host();
    const id = await create();
    const res = await byCookie(id, 'ownerMember');
    expect(res.status).toBe(204);
    expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID);
    expect((await store.images.findById(id))._unsafeUnwrap()?.status).toBe('deleted');
    expect((await byCookie(id, 'ownerMember')).status).toBe(404);
  });

  it('answers exactly as a token request would: 204, 403 for a reader, 404 for another project and an unknown image', async () => {
    const { create, byCookie, byToken } = await host();
    const cases = [
      ['ownerMember', 'existing', { status: 204, fault: null }],
      ['ownerReader', 'existing', { status: 403, fault: 'forbidden' }],
      ['otherProject', 'existing', { status: 404, fault: 'itemNotFound' }],
      ['admin', 'unknown', { status: 404, fault: 'itemNotFound' }],
    ] as const;
    for (const [session, image, expected] of cases) {
      const cookieId = image === 'existing' ? await create() : globalThis.crypto.randomUUID();
      const tokenId = image === 'existing' ? await create() : globalThis.crypto.randomUUID();
      const viaCookie = await answer(await byCookie(cookieId, session));
      const viaToken = await answer(await byToken(tokenId, session));
      expect(viaCookie, session).toMatchObject({ ...expected, requestId: true });
      expect(viaCookie, session).toEqual(viaToken);
    }
  });

  it('answers a request without a session with our 401, WWW-Authenticate and a fault body', async () => {
    const { create, byCookie } = await host({ wwwAuthenticate: 'Cookie realm="console"' });
    const id = await create();
    for (const headers of [{}, { cookie: 'sid=session-expired' }, { 'x-auth-token': CONFORMANCE_TOKENS.admin }] as Record<
      string,
      string
    >[]) {
      const res = await byCookie(id, null, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Cookie realm="console"');
      expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID);
      expect(await res.json()).toMatchObject({ unauthorized: { code: 401 } });
    }
  });

  it('keeps an incoming request id, and the rest of the pipeline: OPTIONS, 405, body check', async () => {
    const { create, byCookie } = await host();
    const id = await create();
    const incoming = `req-${globalThis.crypto.randomUUID()}`;
    expect((await byCookie(id, 'admin', { headers: { 'x-openstack-request-id': incoming } })).headers.get('x-openstack-request-id')).toBe(
      incoming,
    );
    const options = await byCookie(id, null, { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([204, 'DELETE, OPTIONS']);
    const get = await byCookie(id, 'admin', { method: 'GET' });
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'DELETE, OPTIONS']);
    expect((await byCookie(id, 'admin', { body: 'x' })).status).toBe(400);
  });

  it('applies the rate limit to the principal from the session', async () => {
    const { create, byCookie } = await host();
    for (let i = 0; i < RATE_LIMIT; i++) expect((await byCookie(await create(), 'rateLimited')).status).toBe(404);
    const limited = await byCookie(await create(), 'rateLimited');
    expect(limited.status).toBe(413);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ overLimit: { code: 413 } });
    // Other projects are not affected.
    expect((await byCookie(await create(), 'ownerMember')).status).toBe(204);
  });

  it('answers 503 + Retry-After when the session store is down, and 500 when identify throws', async () => {
    const down = await host({}, () => identityUnavailable({ retryAfterSeconds: 7, cause: new Error('redis: ECONNREFUSED') }));
    const unavailable = await down.byCookie(await down.create(), 'admin');
    expect([unavailable.status, unavailable.headers.get('retry-after')]).toEqual([503, '7']);
    const broken = await host({}, () => {
      throw new Error('session decode failed');
    });
    const failed = await broken.byCookie(await broken.create(), 'admin');
    expect(failed.status).toBe(500);
    expect(await failed.text()).not.toContain('session decode');
  });
});
