// guardNodeListener over raw sockets: pipelined requests that change state run in order, and a request without one Host gets a 400 fault.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { DeleteImage, defaultDeletePolicy, isLive, systemClock } from '@image-catalog/core';
import { createImagesRouter } from '@image-catalog/express';
import { createMemoryStorage } from '@image-catalog/memory';
import {
  CONFORMANCE_PRINCIPALS,
  CONFORMANCE_TOKENS,
  conformanceNewImage,
  listenOnLoopbackPerTest,
  REQUEST_ID_PATTERN,
} from '@image-catalog/testkit';
import express from 'express';
import { ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { createImagesHandler, type DeleteImageExecutor } from '../images-handler.js';
import { StaticTokenAuthenticator } from '../static-token-authenticator.js';
import { rawExchange } from '../test-support/raw-exchange.js';
import { guardNodeListener } from './guard-node-listener.js';
import { createNodeListener } from './node-listener.js';

const TOKEN = CONFORMANCE_TOKENS.ownerMember;
const authenticator = new StaticTokenAuthenticator(CONFORMANCE_PRINCIPALS);

/** A delete that takes `delayMs` before it starts, as one waiting for a busy database would. */
function slowDelete(inner: DeleteImageExecutor, delayMs: number): DeleteImageExecutor {
  return {
    execute: (command) => new ResultAsync(new Promise((resolve) => setTimeout(resolve, delayMs)).then(() => inner.execute(command))),
  };
}

/** A catalog whose DELETE is slow, and a host GET on the same path that reads the image as it is now. */
function catalogService() {
  const { images, catalog } = createMemoryStorage();
  const deleteImage = slowDelete(new DeleteImage(images, defaultDeletePolicy, systemClock, null), 50);
  const hostGet = (id: string, res: ServerResponse) => {
    void images.findById(id).map((image) => {
      const live = image !== null && isLive(image);
      res.writeHead(live ? 200 : 404, { 'content-type': 'text/plain' }).end(live ? 'live' : 'gone');
    });
  };
  const createImage = async () => (await catalog.createImage(conformanceNewImage({}), new Date()))._unsafeUnwrap().id;
  return { deleteImage, hostGet, createImage };
}

const request = (method: string, path: string, extra = '') =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${TOKEN}\r\n${extra}\r\n`;

describe('guardNodeListener: a connection’s requests that change state run in order', () => {
  const listen = listenOnLoopbackPerTest();

  it('createNodeListener: a GET pipelined after a DELETE sees the image deleted', async () => {
    const service = catalogService();
    const handler = createImagesHandler<IncomingMessage>({ basePath: '/v2', deleteImage: service.deleteImage, authenticator });
    // GET /v2/images/{id}/state is the host's (the fallback): it reads the same image.
    const { origin } = await listen(
      createServer(createNodeListener(handler, { fallback: (req, res) => service.hostGet(req.url!.split('/').at(-2)!, res) })),
    );
    const id = await service.createImage();
    const wire = await rawExchange(
      origin,
      [request('DELETE', `/v2/images/${id}`) + request('GET', `/v2/images/${id}/state`, 'Connection: close\r\n')],
      ['DELETE', 'GET'],
    );
    expect(wire.responses.map((r) => [r.status, r.body])).toEqual([
      [204, ''],
      [404, 'gone'],
    ]);
  });

  it('an Express app: a GET pipelined after a DELETE sees the delete, a GET before it does not', async () => {
    const service = catalogService();
    const app = express();
    app.get('/v2/images/:id', (req, res) => service.hostGet(req.params.id, res));
    app.use('/v2', createImagesRouter({ deleteImage: service.deleteImage, authenticator, hostMethods: ['GET'] }));
    const { origin } = await listen(createServer({ requireHostHeader: false }, guardNodeListener(app)));
    const id = await service.createImage();
    const path = `/v2/images/${id}`;
    const wire = await rawExchange(
      origin,
      [request('GET', path) + request('DELETE', path) + request('GET', path) + request('DELETE', path, 'Connection: close\r\n')],
      ['GET', 'DELETE', 'GET', 'DELETE'],
    );
    expect(wire.responses.map((r) => r.status)).toEqual([200, 204, 404, 404]);
    expect(wire.trailing).toBe('');
  });

  it('safe requests still overlap; an unsafe one waits for them and holds back what follows', async () => {
    const events: string[] = [];
    const { origin } = await listen(
      createServer(
        guardNodeListener((req, res) => {
          const name = `${req.method} ${req.url}`;
          events.push(`start ${name}`);
          const delay = req.url === '/slow' ? 60 : 10;
          setTimeout(() => {
            events.push(`end ${name}`);
            res.end(name);
          }, delay);
        }),
      ),
    );
    const wire = await rawExchange(
      origin,
      [
        request('GET', '/slow') +
          request('GET', '/fast') +
          request('POST', '/change', 'Content-Length: 0\r\n') +
          request('GET', '/after', 'Connection: close\r\n'),
      ],
      ['GET', 'GET', 'POST', 'GET'],
    );
    expect(wire.responses.map((r) => r.body)).toEqual(['GET /slow', 'GET /fast', 'POST /change', 'GET /after']);
    expect(events).toEqual([
      'start GET /slow',
      'start GET /fast',
      'end GET /fast',
      'end GET /slow',
      'start POST /change',
      'end POST /change',
      'start GET /after',
      'end GET /after',
    ]);
  });

  it('guarding twice (around a createNodeListener) neither deadlocks nor reorders', async () => {
    const service = catalogService();
    const handler = createImagesHandler<IncomingMessage>({ basePath: '/v2', deleteImage: service.deleteImage, authenticator });
    const { origin } = await listen(
      createServer(
        guardNodeListener(createNodeListener(handler, { fallback: (req, res) => service.hostGet(req.url!.split('/').at(-2)!, res) })),
      ),
    );
    const id = await service.createImage();
    const wire = await rawExchange(
      origin,
      [request('DELETE', `/v2/images/${id}`) + request('GET', `/v2/images/${id}/state`, 'Connection: close\r\n')],
      ['DELETE', 'GET'],
    );
    expect(wire.responses.map((r) => r.status)).toEqual([204, 404]);
  });
});

describe('guardNodeListener: Host', () => {
  const listen = listenOnLoopbackPerTest();

  async function start() {
    const served: (string | undefined)[] = [];
    const { origin } = await listen(
      createServer(
        { requireHostHeader: false },
        guardNodeListener((req, res) => {
          served.push(req.headers.host);
          res.end('served');
        }),
      ),
    );
    return { origin, served };
  }

  it('answers an HTTP/1.1 request without Host with a 400 fault, its request id and Connection: close', async () => {
    const { origin, served } = await start();
    const incoming = `req-${globalThis.crypto.randomUUID()}`;
    const wire = await rawExchange(
      origin,
      [`GET /v2/images/x HTTP/1.1\r\nx-openstack-request-id: ${incoming}\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n`],
      ['GET', 'GET'],
    );
    expect(wire.responses).toHaveLength(1);
    const [res] = wire.responses;
    expect(res!.status).toBe(400);
    expect(res!.headers).toMatchObject({
      connection: 'close',
      'x-openstack-request-id': incoming,
      'content-type': 'application/json; charset=utf-8',
    });
    expect(JSON.parse(res!.body)).toEqual({
      badRequest: { code: 400, message: 'An HTTP/1.1 request must carry exactly one Host header.', requestId: incoming },
    });
    expect(wire.closed).toBe(true);
    expect(served).toEqual([]);
  });

  it('negotiates the fault body, and sends none to HEAD', async () => {
    const { origin } = await start();
    const text = await rawExchange(origin, ['DELETE /v2/images/x HTTP/1.1\r\nAccept: text/plain\r\n\r\n'], ['DELETE']);
    expect(text.responses[0]).toMatchObject({
      status: 400,
      body: '400 Bad Request\n\nAn HTTP/1.1 request must carry exactly one Host header.',
    });
    expect(text.responses[0]!.headers['x-openstack-request-id']).toMatch(REQUEST_ID_PATTERN);
    const head = await rawExchange(origin, ['HEAD /v2/images/x HTTP/1.1\r\n\r\n'], ['HEAD']);
    expect(head.responses[0]!.status).toBe(400);
    expect(head.trailing).toBe('');
  });

  it('refuses two Host lines; serves one empty Host, and HTTP/1.0 without Host', async () => {
    const { origin, served } = await start();
    const twice = await rawExchange(origin, ['GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'], ['GET']);
    expect(twice.responses[0]!.status).toBe(400);
    const empty = await rawExchange(origin, ['GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n'], ['GET']);
    expect(empty.responses[0]).toMatchObject({ status: 200, body: 'served' });
    const old = await rawExchange(origin, ['GET / HTTP/1.0\r\n\r\n'], ['GET']);
    expect(old.responses[0]).toMatchObject({ status: 200, body: 'served' });
    expect(served).toEqual(['', undefined]);
  });
});
