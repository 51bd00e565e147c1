// The Express router: the HTTP conformance suite on a real Express 5 app, and how it sits inside a host app.
import { createServer, type Server } from 'node:http';
import { DeleteImage, defaultDeletePolicy, systemClock } from '@image-catalog/core';
import { DataDeletionWorker } from '@image-catalog/core/workers';
import { createClientErrorListener, InProcessRateLimiter, StaticTokenAuthenticator, type ImagesPipelineOptions } from '@image-catalog/http';
import { createMemoryStorage, MemoryImageDataStore } from '@image-catalog/memory';
import {
  CONFORMANCE_PRINCIPALS,
  CONFORMANCE_PROJECTS,
  CONFORMANCE_TOKENS,
  describeHttpConformance,
  inProcessConformanceTarget,
  limitOnlyKey,
  listenOnLoopback,
  listenOnLoopbackPerTest,
} from '@image-catalog/testkit';
import express, { type Express } from 'express';
import { describe, expect, it } from 'vitest';
import { createImagesRouter, type ImagesRouterOptions } from './images-router.js';

const RATE_LIMIT = 3;

function service(overrides: Partial<Omit<ImagesPipelineOptions, 'basePath'>> = {}) {
  const storage = createMemoryStorage();
  const worker = new DataDeletionWorker(new MemoryImageDataStore(), storage.jobs, systemClock);
  const options: ImagesRouterOptions = {
    deleteImage: new DeleteImage(storage.images, defaultDeletePolicy, systemClock, worker),
    authenticator: new StaticTokenAuthenticator(CONFORMANCE_PRINCIPALS),
    // Only the suite's rate-limited project is limited, so its other callers never hit the limit.
    rateLimiter: limitOnlyKey(
      `project:${CONFORMANCE_PROJECTS.limited}`,
      new InProcessRateLimiter({ limit: RATE_LIMIT, windowSeconds: 3600 }),
    ),
    ...overrides,
  };
  return { storage, options };
}

/** A node:http server for the app, with unparseable requests answered by a 400 fault. */
function serverFor(app: Express): Server {
  const server = createServer(app);
  server.on('clientError', createClientErrorListener());
  return server;
}

describeHttpConformance('@image-catalog/express (createImagesRouter on Express 5)', async () => {
  const { storage, options } = service({ overLimitStatus: 429 });
  const app = express();
  app.use('/v2', createImagesRouter(options));
  const server = await listenOnLoopback(serverFor(app));
  return inProcessConformanceTarget({ server, basePath: '/v2', catalog: storage.catalog, rateLimit: RATE_LIMIT, overLimitStatus: 429 });
});

describe('createImagesRouter inside a host app', () => {
  const listen = listenOnLoopbackPerTest();

  async function host(mount: (app: Express) => void) {
    const app = express();
    mount(app);
    return (await listen(serverFor(app))).origin;
  }

  it('serves below any mount point, and passes paths it does not own to the host', async () => {
    const { options } = service();
    const origin = await host((app) => {
      app.use('/api/image/v2', createImagesRouter(options));
      app.put('/api/image/v2/images/:id/file', (_req, res) => void res.status(204).end());
      app.use((_req, res) => void res.status(418).send('host 404'));
    });
    const id = globalThis.crypto.randomUUID();
    const token = { 'X-Auth-Token': CONFORMANCE_TOKENS.admin };
    expect((await fetch(`${origin}/api/image/v2/images/${id}`, { method: 'DELETE', headers: token })).status).toBe(404);
    expect((await fetch(`${origin}/api/image/v2/images/${id}/file`, { method: 'PUT', headers: token, body: 'data' })).status).toBe(204);
    expect((await fetch(`${origin}/api/image/v2/images`, { headers: token })).status).toBe(418);
    expect((await fetch(`${origin}/images/${id}`, { method: 'DELETE', headers: token })).status).toBe(418);
  });

  it('names the full route, mount point included, in its request log line', async () => {
    const lines: Record<string, unknown>[] = [];
    const record = (obj: object) => void lines.push(obj as Record<string, unknown>);
    const { options } = service({ logger: { debug: record, info: record, warn: record, error: record } });
    const origin = await host((app) => app.use('/api/image/v2', createImagesRouter(options)));
    const id = globalThis.crypto.randomUUID();
    await fetch(`${origin}/api/image/v2/images/${id}`, { method: 'DELETE', headers: { 'X-Auth-Token': CONFORMANCE_TOKENS.admin } });
    const line = lines.find((l) => l.status === 404);
    expect(line?.route).toBe('/api/image/v2/images/{image_id}');
  });

  it('leaves the host app and its other routes alone: no body parser, settings unchanged', async () => {
    const { options } = service();
    const app = express();
    const settingsBefore = JSON.stringify(app.settings);
    app.use('/v2', createImagesRouter(options));
    expect(JSON.stringify(app.settings)).toBe(settingsBefore);
    app.post('/echo', (req, res) => void res.json({ body: (req as { body?: unknown }).body ?? null }));
    const { origin } = await listen(serverFor(app));
    const echoed = await fetch(`${origin}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await echoed.json()).toEqual({ body: null });
  });

  it('keeps headers the host set before it, and answers with its own faults', async () => {
    const { options } = service();
    const origin = await host((app) => {
      app.use((_req, res, next) => {
        res.setHeader('x-host', 'yes');
        next();
      });
      app.use('/v2', createImagesRouter(options));
    });
    const res = await fetch(`${origin}/v2/images/%zz`, { method: 'DELETE', headers: { 'X-Auth-Token': CONFORMANCE_TOKENS.admin } });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-host')).toBe('yes');
    expect(Object.keys((await res.json()) as object)).toEqual(['badRequest']);
  });

  it('goes through the host error handler only for its own defects, never for client input', async () => {
    const { options } = service({
      deleteImage: {
        execute: () => {
          throw new Error('defect at /srv/app.js:1:1');
        },
      },
    });
    let hostErrors = 0;
    const origin = await host((app) => {
      app.use('/v2', createImagesRouter(options));
      app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        hostErrors += 1;
        res.status(500).send('host error page');
      });
    });
    const res = await fetch(`${origin}/v2/images/${globalThis.crypto.randomUUID()}`, {
      method: 'DELETE',
      headers: { 'X-Auth-Token': CONFORMANCE_TOKENS.admin },
    });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toContain('apiFault');
    expect(text).not.toContain('/srv/app.js');
    expect(hostErrors).toBe(0);
  });
});
