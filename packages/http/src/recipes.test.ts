// The README recipes (node:http, Express, Hono mounted and route style, host identity) over the front door, served for real on loopback, and quoted verbatim.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Principal } from '@image-catalog/core';
import { createMemoryStorage, MemoryImageDataStore, type MemoryStorage } from '@image-catalog/memory';
import { CONFORMANCE_PRINCIPALS, CONFORMANCE_TOKENS, conformanceNewImage, listenOnLoopbackPerTest } from '@image-catalog/testkit';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createImageCatalog } from './create-image-catalog.js';
import { createImagesHandler } from './images-handler.js';
import { StaticTokenAuthenticator } from './static-token-authenticator.js';
import {
  expressCookieRecipe,
  expressRecipe,
  honoAppMountRecipe,
  honoContextRecipe,
  honoMountRecipe,
  honoRouteRecipe,
  nodeHttpRecipe,
  type HonoEnv,
  type RecipeDeps,
} from './test-support/recipes.js';

const RECIPES_SOURCE = readFileSync(new URL('./test-support/recipes.ts', import.meta.url), 'utf8');
const READMES = {
  http: readFileSync(new URL('../README.md', import.meta.url), 'utf8'),
  express: readFileSync(new URL('../../express/README.md', import.meta.url), 'utf8'),
} as const;

/** The code between `// #region name` and `// #endregion name`, without the indentation of the function around it. */
function region(name: string): string {
  const match = new RegExp(`\\n([ \\t]*)// #region ${name}\\n([\\s\\S]*?)\\n[ \\t]*// #endregion ${name}\\n`).exec(RECIPES_SOURCE);
  if (!match) throw new Error(`recipes.ts has no region ${name}`);
  const indent = match[1]!;
  return match[2]!
    .split('\n')
    .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
    .join('\n');
}

const OWNER_MEMBER = CONFORMANCE_PRINCIPALS[CONFORMANCE_TOKENS.ownerMember]!;

function deps(): RecipeDeps & { store: MemoryStorage } {
  const store = createMemoryStorage();
  const catalog = createImageCatalog({ storage: store, dataStore: new MemoryImageDataStore() });
  return { store, catalog, authenticator: new StaticTokenAuthenticator(CONFORMANCE_PRINCIPALS) };
}

const honoServer = (app: Hono<HonoEnv> | Hono): Server => createAdaptorServer({ fetch: app.fetch }) as Server;

/** Host identity for the recipes that take it: a `sid=alice` cookie is the owner project's member. */
const sessionUser = (cookie: string | undefined): Principal | undefined =>
  /(?:^|;\s*)sid=alice(?:;|$)/.test(cookie ?? '') ? OWNER_MEMBER : undefined;

const RECIPES: readonly {
  name: string;
  readme: keyof typeof READMES;
  start: (d: RecipeDeps) => Server;
  credentials: Record<string, string>;
}[] = [
  { name: 'node-http', readme: 'http', start: nodeHttpRecipe, credentials: { 'x-auth-token': CONFORMANCE_TOKENS.ownerMember } },
  { name: 'express', readme: 'http', start: expressRecipe, credentials: { 'x-auth-token': CONFORMANCE_TOKENS.ownerMember } },
  {
    name: 'hono-mount',
    readme: 'http',
    start: (d) => honoServer(honoMountRecipe(d)),
    credentials: { authorization: `Bearer ${CONFORMANCE_TOKENS.ownerMember}` },
  },
  {
    name: 'hono-app-mount',
    readme: 'http',
    start: (d) => honoServer(honoAppMountRecipe(d)),
    credentials: { 'x-auth-token': CONFORMANCE_TOKENS.ownerMember },
  },
  {
    name: 'hono-route',
    readme: 'http',
    start: (d) => honoServer(honoRouteRecipe(d)),
    credentials: { 'x-auth-token': CONFORMANCE_TOKENS.ownerMember },
  },
  {
    name: 'hono-context',
    readme: 'http',
    start: (d) =>
      honoServer(
        honoContextRecipe({
          catalog: d.catalog,
          hostAuth: async (c, next) => {
            c.set('user', sessionUser(c.req.header('cookie')));
            await next();
          },
        }),
      ),
    credentials: { cookie: 'theme=dark; sid=alice' },
  },
  {
    name: 'express-cookie',
    readme: 'express',
    start: (d) =>
      expressCookieRecipe({
        catalog: d.catalog,
        session: (req, res, next) => {
          res.locals.user = sessionUser(req.headers.cookie);
          next();
        },
        sessionUser: (req) => (req.res?.locals.user as Principal | undefined) ?? undefined,
      }),
    credentials: { cookie: 'sid=alice' },
  },
];

describe('README recipes', () => {
  const listen = listenOnLoopbackPerTest();

  it.each(RECIPES)('$name: quoted verbatim in the $readme README', ({ name, readme }) => {
    expect(READMES[readme]).toContain(region(name));
  });

  it.each(RECIPES)(
    '$name: 204, then 404; 405 and OPTIONS with Allow; 401 without credentials; 400 for a malformed id; 503 once the catalog stops',
    async ({ start, credentials }) => {
      const d = deps();
      const { origin } = await listen(start(d));
      const id = (await d.store.catalog.createImage(conformanceNewImage({}), new Date()))._unsafeUnwrap().id;
      const url = `${origin}/v2/images/${id}`;

      const options = await fetch(url, { method: 'OPTIONS' });
      expect([options.status, options.headers.get('allow')]).toEqual([204, 'DELETE, OPTIONS']);
      const unauthenticated = await fetch(url, { method: 'DELETE' });
      expect([unauthenticated.status, unauthenticated.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="image-catalog"']);
      const put = await fetch(url, { method: 'PUT', headers: credentials });
      expect([put.status, put.headers.get('allow')]).toEqual([405, 'DELETE, OPTIONS']);
      expect(await put.json()).toMatchObject({ badMethod: { code: 405 } });

      // The raw, still-encoded path reaches the handler (mounts rewrite it without decoding).
      const malformed = await fetch(`${origin}/v2/images/%zz`, { method: 'DELETE', headers: credentials });
      expect([malformed.status, Object.keys((await malformed.json()) as object)]).toEqual([400, ['badRequest']]);

      const deleted = await fetch(url, { method: 'DELETE', headers: credentials });
      expect(deleted.status).toBe(204);
      expect(deleted.headers.get('x-openstack-request-id')).toMatch(/^req-/);
      expect((await d.store.images.findById(id))._unsafeUnwrap()?.status).toBe('deleted');
      expect((await fetch(url, { method: 'DELETE', headers: credentials })).status).toBe(404);

      // The recipe's entry shares the catalog's pipeline: stop() drains it.
      await d.catalog.stop();
      const draining = await fetch(url, { method: 'DELETE', headers: credentials });
      expect([draining.status, draining.headers.get('retry-after'), draining.headers.get('connection')]).toEqual([503, '5', 'close']);
    },
  );
});

describe('why the Hono route recipe uses app.all', () => {
  it('app.delete alone leaves OPTIONS and other methods to Hono: 404, no Allow', async () => {
    const d = deps();
    const handler = createImagesHandler({ basePath: '/v2', deleteImage: d.catalog.deleteImage, authenticator: d.authenticator });
    const app = new Hono();
    app.delete('/v2/images/:id', (c) => handler(c.req.raw));
    for (const method of ['OPTIONS', 'PUT']) {
      const res = await app.fetch(new Request('http://images.test/v2/images/x', { method }));
      expect([res.status, res.headers.get('allow')]).toEqual([404, null]);
    }
  });
});
