// createClientErrorListener over raw sockets: a 400 fault with a request id for what node cannot parse, never a body for HEAD, after what the connection still owes.
import { createServer } from 'node:http';
import { listenOnLoopbackPerTest, REQUEST_ID_PATTERN } from '@image-catalog/testkit';
import { describe, expect, it } from 'vitest';
import { rawExchange } from '../test-support/raw-exchange.js';
import { createClientErrorListener } from './client-error-listener.js';
import { guardNodeListener } from './guard-node-listener.js';

const BAD_HEADER = 'Bad\u0001Header: x\r\n';

describe('createClientErrorListener', () => {
  const listen = listenOnLoopbackPerTest();

  async function start() {
    const server = createServer(
      guardNodeListener((req, res) => {
        // Slow enough that a broken request pipelined behind this one is parsed while it runs.
        setTimeout(() => res.end(`served ${req.method} ${req.url}`), 30);
      }),
    );
    server.on('clientError', createClientErrorListener());
    return (await listen(server)).origin;
  }

  it('answers an unparseable GET with a JSON 400 fault and a request id, then closes', async () => {
    const origin = await start();
    const wire = await rawExchange(origin, [`GET /v2/images/x HTTP/1.1\r\nHost: x\r\n${BAD_HEADER}\r\n`], ['GET']);
    const [res] = wire.responses;
    expect(res!.status).toBe(400);
    expect(res!.headers).toMatchObject({ connection: 'close', 'content-type': 'application/json; charset=utf-8' });
    expect(res!.headers['x-openstack-request-id']).toMatch(REQUEST_ID_PATTERN);
    expect(JSON.parse(res!.body)).toEqual({
      badRequest: { code: 400, message: 'The request could not be parsed.', requestId: res!.headers['x-openstack-request-id'] },
    });
    expect(wire.trailing).toBe('');
    expect(wire.closed).toBe(true);
  });

  it('answers an unparseable HEAD with the headers only: nothing a HEAD client would read as the next response', async () => {
    const origin = await start();
    for (const broken of [
      `HEAD /v2/images/x HTTP/1.1\r\nHost: x\r\n${BAD_HEADER}\r\n`,
      `HEAD /v2/images/x HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(20_000)}\r\n\r\n`,
    ]) {
      const wire = await rawExchange(origin, [broken], ['HEAD']);
      expect(wire.responses[0]).toMatchObject({ status: 400, headers: { 'content-length': '0', connection: 'close' } });
      expect(wire.responses[0]!.headers['x-openstack-request-id']).toMatch(REQUEST_ID_PATTERN);
      expect(wire.trailing).toBe('');
    }
  });

  it('sends no body either when the broken request began in an earlier packet (it may have been a HEAD)', async () => {
    const origin = await start();
    const wire = await rawExchange(origin, ['HEAD /v2/images/x HTTP/1.1\r\nHost: x\r\n', `${BAD_HEADER}\r\n`], ['HEAD']);
    expect(wire.responses[0]).toMatchObject({ status: 400, headers: { 'content-length': '0' } });
    expect(wire.trailing).toBe('');
  });

  it('on a keep-alive connection, first answers the requests before the broken one, then the broken HEAD without a body', async () => {
    const origin = await start();
    const wire = await rawExchange(
      origin,
      [`GET /first HTTP/1.1\r\nHost: x\r\n\r\nHEAD /second HTTP/1.1\r\nHost: x\r\n${BAD_HEADER}\r\n`],
      ['GET', 'HEAD'],
    );
    expect(wire.responses.map((r) => [r.status, r.body])).toEqual([
      [200, 'served GET /first'],
      [400, ''],
    ]);
    expect(wire.trailing).toBe('');
  });

  it('keeps the documented message for headers over the limit', async () => {
    const origin = await start();
    const wire = await rawExchange(origin, [`GET /v2/images/x HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(20_000)}\r\n\r\n`], ['GET']);
    expect(wire.responses[0]!.status).toBe(400);
    expect(JSON.parse(wire.responses[0]!.body)).toMatchObject({ badRequest: { message: 'Request header fields too large.' } });
  });
});
