// The example service over raw sockets: requests Node would answer by itself get our faults, HEAD never has a body, pipelined writes keep their order.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageOverHttp, startInProcessService, type InProcessService } from './test-support/in-process-service.js';

const TOKEN = 'member-token';
const PRINCIPAL = { userId: 'u-member', projectId: 'p-edge', roles: ['member', 'reader'] };

/** Writes `raw` on a fresh connection and reads until the server closes it or `idleMs` passes without data. */
function exchange(url: string, raw: string, idleMs = 1_500): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let timer = setTimeout(() => socket.end(), idleMs);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(() => socket.end(), idleMs);
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(raw);
  });
}

const statusLines = (text: string) => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));

describe('example service: requests node:http would answer by itself', () => {
  let svc: InProcessService;
  beforeAll(async () => {
    svc = await startInProcessService({ tokens: { [TOKEN]: PRINCIPAL } });
  });
  afterAll(() => svc.service.stop());

  it('a request without Host gets a 400 fault with a request id, not a bare 400', async () => {
    const reply = await exchange(svc.url, 'GET /versions HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(statusLines(reply)).toEqual([400]);
    expect(reply).toMatch(/^x-openstack-request-id: req-[0-9a-f-]{36}\r$/im);
    expect(reply).toContain('"badRequest"');
  });

  it('CONNECT gets a documented 400 fault instead of a dropped connection', async () => {
    const reply = await exchange(svc.url, 'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n');
    expect(statusLines(reply)).toEqual([400]);
    expect(reply).toMatch(/x-openstack-request-id: req-/i);
  });

  it('a HEAD the server cannot parse gets headers only, so a keep-alive client stays in step', async () => {
    const reply = await exchange(svc.url, 'HEAD /v2/images/x HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n');
    expect(statusLines(reply)).toEqual([400]);
    const [, body = ''] = reply.split('\r\n\r\n');
    expect(body).toBe('');
  });

  it('a DELETE pipelined before a GET on one connection is seen by the GET', async () => {
    const image = await createImageOverHttp(svc.api, TOKEN);
    const path = `/v2/images/${image.id}`;
    const request = (method: string) => `${method} ${path} HTTP/1.1\r\nHost: a\r\nX-Auth-Token: ${TOKEN}\r\n\r\n`;
    const reply = await exchange(svc.url, request('DELETE') + request('GET'));
    expect(statusLines(reply)).toEqual([204, 404]);
  });
});
