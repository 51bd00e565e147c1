// The README recipes as code: each `#region` below is quoted verbatim in a README, and recipes.test.ts serves it for real.
import { createServer, type Server } from 'node:http';
import { createImagesRouter } from '@image-catalog/express';
import type { Principal } from '@image-catalog/core';
import express, { type RequestHandler } from 'express';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { mount } from 'hono/mount';
import type { Authenticator } from '../authenticator.port.js';
import type { ImageCatalogService } from '../create-image-catalog.js';
import { authenticated, unauthenticated } from '../identity.port.js';
import { fromFetchRequest, toFetchResponse } from '../images-handler.js';
import { createClientErrorListener } from '../node/client-error-listener.js';
import { createConnectListener } from '../node/connect-listener.js';
import { guardNodeListener } from '../node/guard-node-listener.js';
import { createNodeListener } from '../node/node-listener.js';

/** What every recipe takes from the host: the front door's catalog, and a token authenticator. */
export interface RecipeDeps {
  readonly catalog: ImageCatalogService;
  readonly authenticator: Authenticator;
}

export function nodeHttpRecipe({ catalog, authenticator }: RecipeDeps): Server {
  // #region node-http
  const handler = catalog.handler({ basePath: '/v2', authenticator });
  const server = createServer(
    // The listener answers a request without Host itself (a 400 fault), rather than node (a bare 400).
    { requireHostHeader: false },
    createNodeListener(handler, {
      // Everything that is not /v2/images/{id} goes to the rest of your service.
      fallback: (_req, res) => res.writeHead(404).end(),
    }),
  );
  server.on('clientError', createClientErrorListener());
  server.on('connect', createConnectListener());
  // #endregion node-http
  return server;
}

export function expressRecipe({ catalog, authenticator }: RecipeDeps): Server {
  // #region express
  const app = express();
  // Before any body parser: the router must see the body to refuse one.
  app.use('/v2', createImagesRouter({ ...catalog.pipeline, authenticator }));
  // guardNodeListener: pipelined requests that change state run in order; no Host gets a 400 fault.
  const server = createServer({ requireHostHeader: false }, guardNodeListener(app));
  server.on('clientError', createClientErrorListener());
  server.on('connect', createConnectListener());
  // #endregion express
  return server;
}

export function honoMountRecipe({ catalog, authenticator }: RecipeDeps): Hono {
  // #region hono-mount
  // mount() strips the prefix: the handler sees /images/{id}, so its basePath is ''.
  const handler = catalog.handler({ basePath: '', authenticator });
  const app = new Hono();
  app.all('/v2/*', mount(handler));
  // #endregion hono-mount
  return app;
}

export function honoAppMountRecipe({ catalog, authenticator }: RecipeDeps): Hono {
  // #region hono-app-mount
  const handler = catalog.handler({ basePath: '', authenticator });
  const app = new Hono();
  app.mount('/v2', handler); // Hono 4's app.mount, deprecated for mount() above; it strips the prefix too
  // #endregion hono-app-mount
  return app;
}

export function honoRouteRecipe({ catalog, authenticator }: RecipeDeps): Hono {
  // #region hono-route
  // The full path reaches the handler: basePath is the prefix.
  const handler = catalog.handler({ basePath: '/v2', authenticator });
  const app = new Hono();
  // app.all, not app.delete: the handler answers OPTIONS (204 + Allow) and other methods (405 + Allow).
  app.all('/v2/images/:id', (c) => handler(c.req.raw));
  // #endregion hono-route
  return app;
}

/** What the Hono host's own middleware stores in the context. */
export type HonoEnv = { Variables: { user: Principal | undefined } };

export function honoContextRecipe({
  catalog,
  hostAuth,
}: Pick<RecipeDeps, 'catalog'> & { readonly hostAuth: MiddlewareHandler<HonoEnv> }): Hono<HonoEnv> {
  // #region hono-context
  // identify reads the Hono context, where the host's auth middleware put the user.
  const handler = catalog.handler({
    basePath: '/v2',
    identify: (c: Context<HonoEnv>) => {
      const user = c.get('user');
      return user ? authenticated(user) : unauthenticated();
    },
  });
  const app = new Hono<HonoEnv>();
  app.use('/v2/*', hostAuth); // sets c.set('user', ...) from the host's session
  app.all('/v2/images/:id', async (c) => toFetchResponse(await handler.handle(fromFetchRequest(c.req.raw), c)));
  // #endregion hono-context
  return app;
}

export function expressCookieRecipe({
  catalog,
  session,
  sessionUser,
}: Pick<RecipeDeps, 'catalog'> & {
  readonly session: RequestHandler;
  readonly sessionUser: (req: express.Request) => Principal | undefined;
}): Server {
  // #region express-cookie
  const app = express();
  app.use(session); // the host's own cookie session (express-session, passport, ...)
  app.use(
    '/v2',
    createImagesRouter({
      ...catalog.pipeline,
      // Whoever the host's middleware found; with passport that is `req.user`.
      identify: (req) => {
        const user = sessionUser(req);
        return user ? authenticated(user) : unauthenticated();
      },
    }),
  );
  // #endregion express-cookie
  return createServer(app);
}
