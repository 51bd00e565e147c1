// The HTTP conformance suite on node:http through createNodeListener, plus what only a raw node server meets.
import { createServer } from 'node:http';
import { DeleteImage, defaultDeletePolicy, systemClock } from '@image-catalog/core';
import { DataDeletionWorker } from '@image-catalog/core/workers';
import { createMemoryStorage, MemoryImageDataStore } from '@image-catalog/memory';
import {
  CONFORMANCE_PRINCIPALS,
  CONFORMANCE_PROJECTS,
  CONFORMANCE_TOKENS,
  conformanceNewImage,
  describeHttpConformance,
  inProcessConformanceTarget,
  limitOnlyKey,
  listenOnLoopback,
  listenOnLoopbackPerTest,
  rawHttpRequest,
} from '@image-catalog/testkit';
import { describe, expect, it } from 'vitest';
import { createImagesHandler, type ImagesPipelineOptions } from '../images-handler.js';
import { InProcessRateLimiter } from '../in-process-rate-limiter.js';
import { StaticTokenAuthenticator } from '../static-token-authenticator.js';
import { createClientErrorListener } from './client-error-listener.js';
import { createNodeListener, type NodeListenerOptions } from './node-listener.js';

const RATE_LIMIT = 3;

function inMemoryService(overrides: Partial<ImagesPipelineOptions> = {}, listenerOptions: NodeListenerOptions = {}) {
  const { images, jobs, catalog } = createMemoryStorage();
  const data = new MemoryImageDataStore();
  const worker = new DataDeletionWorker(data, jobs, systemClock);
  const deleteImage = new DeleteImage(images, defaultDeletePolicy, systemClock, worker);
  const handler = createImagesHandler({
    basePath: '/v2',
    deleteImage,
    authenticator: new StaticTokenAuthenticator(CONFORMANCE_PRINCIPALS),
    // Only the suite's rate-limited project is limited, so its other callers never hit the limit.
    rateLimiter: limitOnlyKey(
      `project:${CONFORMANCE_PROJECTS.limited}`,
      new InProcessRateLimiter({ limit: RATE_LIMIT, windowSeconds: 3600 }),
    ),
    ...overrides,
  });
  const server = createServer(createNodeListener(handler, listenerOptions));
  server.on('clientError', createClientErrorListener());
  return { catalog, server, handler };
}

describeHttpConformance('@image-catalog/http on node:http (createNodeListener)', async () => {
  const { catalog, server } = inMemoryService();
  return inProcessConformanceTarget({ server: await listenOnLoopback(server), basePath: '/v2', catalog, rateLimit: RATE_LIMIT });
});

describe('createNodeListener', () => {
  const listen = listenOnLoopbackPerTest();

  async function start(overrides: Partial<ImagesPipelineOptions> = {}, listenerOptions: NodeListenerOptions = {}) {
    const service = inMemoryService(overrides, listenerOptions);
    return { ...service, origin: (await listen(service.server)).origin };
  }

  it('answers other paths with a 404 fault, or hands them to the fallback', async () => {
    const { origin } = await start();
    const res = await fetch(`${origin}/v2/images`);
    expect(res.status).toBe(404);
    expect(Object.keys((await res.json()) as object)).toEqual(['itemNotFound']);

    const withFallback = await start({}, { fallback: (_req, res) => res.writeHead(418).end('host') });
    const fallen = await fetch(`${withFallback.origin}/v2/images/${globalThis.crypto.randomUUID()}/file`, { method: 'PUT', body: 'x' });
    expect(fallen.status).toBe(418);
    expect(await fallen.text()).toBe('host');
  });

  it('answers methods and targets a Fetch Request would refuse', async () => {
    const { origin } = await start();
    const id = globalThis.crypto.randomUUID();
    const token = CONFORMANCE_TOKENS.admin;
    const trace = await rawHttpRequest(
      origin,
      `TRACE /v2/images/${id} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${token}\r\nConnection: close\r\n\r\n`,
    );
    expect(trace.status).toBe(405);
    expect(trace.headers.allow).toBe('DELETE, OPTIONS');
    const absolute = await rawHttpRequest(
      origin,
      `DELETE http://example.test/v2/images/${id} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${token}\r\nConnection: close\r\n\r\n`,
    );
    expect(absolute.status).toBe(404);
    const star = await rawHttpRequest(origin, `OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(star.status).toBe(404);
  });

  it('keeps a keep-alive connection usable after refusing a body it did not read', async () => {
    const { origin, catalog } = await start();
    const id = (await catalog.createImage(conformanceNewImage({}), new Date()))._unsafeUnwrap().id;
    const headers = `Host: x\r\nX-Auth-Token: ${CONFORMANCE_TOKENS.ownerMember}\r\n`;
    const { connect } = await import('node:net');
    const url = new URL(origin);
    // Two requests on one connection: the first one's chunked body must be drained, not parsed as a request.
    const wire = await new Promise<string>((resolve) => {
      const received: Buffer[] = [];
      const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
        socket.write(
          `DELETE /v2/images/${id} HTTP/1.1\r\n${headers}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n` +
            `DELETE /v2/images/${id} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`,
        );
      });
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(received).toString('utf8')));
    });
    expect([...wire.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1])).toEqual(['400', '204']);
  });

  it('survives clients that abort mid-body, and runs no delete for them', async () => {
    const lines: Record<string, unknown>[] = [];
    let logged: () => void = () => undefined;
    const logger = {
      debug: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      info: (obj: object) => {
        lines.push(obj as Record<string, unknown>);
        if (lines.length === 2) logged();
      },
    };
    const bothLogged = new Promise<void>((resolve) => (logged = resolve));
    const { origin } = await start({ logger });
    const { connect } = await import('node:net');
    const url = new URL(origin);
    const head = `DELETE /v2/images/${globalThis.crypto.randomUUID()} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${CONFORMANCE_TOKENS.admin}\r\n`;
    for (const partial of [`${head}Content-Length: 100\r\n\r\nabc`, `${head}Transfer-Encoding: chunked\r\n\r\n`]) {
      await new Promise<void>((resolve) => {
        const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
          socket.write(partial, () => {
            socket.destroy();
            resolve();
          });
        });
      });
    }
    await bothLogged;
    expect(lines.map((l) => [l.status, l.failure])).toEqual([
      [400, 'BodyNotAllowed'],
      [400, 'BodyNotAllowed'],
    ]);
    const res = await fetch(`${origin}/v2/images/${globalThis.crypto.randomUUID()}`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
  });
});
