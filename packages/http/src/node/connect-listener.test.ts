// createConnectListener over raw sockets: CONNECT gets a 400 fault with its request id instead of a silently closed connection.
import { createServer } from 'node:http';
import { listenOnLoopbackPerTest, REQUEST_ID_PATTERN } from '@image-catalog/testkit';
import { describe, expect, it } from 'vitest';
import { rawExchange } from '../test-support/raw-exchange.js';
import { createConnectListener } from './connect-listener.js';
import { guardNodeListener } from './guard-node-listener.js';

const CONNECT_MESSAGE = 'CONNECT is not supported: this server is not a proxy.';

describe('createConnectListener', () => {
  const listen = listenOnLoopbackPerTest();

  async function start(withListener = true) {
    const server = createServer(guardNodeListener((req, res) => void setTimeout(() => res.end(`served ${req.method}`), 30)));
    if (withListener) server.on('connect', createConnectListener());
    return (await listen(server)).origin;
  }

  it('without it, node closes the connection without a word', async () => {
    const origin = await start(false);
    const wire = await rawExchange(origin, ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'], ['CONNECT']);
    expect(wire.responses).toEqual([]);
  });

  it('answers CONNECT to a host:port with a JSON 400 fault and a request id, then closes', async () => {
    const origin = await start();
    const wire = await rawExchange(
      origin,
      ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\nsome tunnel bytes'],
      ['CONNECT'],
    );
    const [res] = wire.responses;
    expect(res!.status).toBe(400);
    expect(res!.headers).toMatchObject({ connection: 'close', 'content-type': 'application/json; charset=utf-8' });
    const requestId = res!.headers['x-openstack-request-id'];
    expect(requestId).toMatch(REQUEST_ID_PATTERN);
    expect(JSON.parse(res!.body)).toEqual({ badRequest: { code: 400, message: CONNECT_MESSAGE, requestId } });
    expect(wire.trailing).toBe('');
    expect(wire.closed).toBe(true);
  });

  it('negotiates the body and keeps a well-formed incoming request id, also for CONNECT to a path', async () => {
    const origin = await start();
    const incoming = `req-${globalThis.crypto.randomUUID()}`;
    const wire = await rawExchange(
      origin,
      [`CONNECT /v2/images/x HTTP/1.1\r\nHost: x\r\nAccept: application/problem+json\r\nx-openstack-request-id: ${incoming}\r\n\r\n`],
      ['CONNECT'],
    );
    const [res] = wire.responses;
    expect(res!.headers).toMatchObject({ 'content-type': 'application/problem+json', 'x-openstack-request-id': incoming });
    expect(JSON.parse(res!.body)).toMatchObject({ status: 400, detail: CONNECT_MESSAGE, fault: 'badRequest', requestId: incoming });
  });

  it('answers after the requests pipelined before the CONNECT', async () => {
    const origin = await start();
    const wire = await rawExchange(
      origin,
      ['GET /first HTTP/1.1\r\nHost: x\r\n\r\nCONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'],
      ['GET', 'CONNECT'],
    );
    expect(wire.responses.map((r) => [r.status, r.body.slice(0, 20)])).toEqual([
      [200, 'served GET'],
      [400, '{"badRequest":{"code'],
    ]);
  });
});
