// SIGTERM to the running example service: the in-flight upload completes, newcomers get 503 or nothing, exit 0, the database is closed cleanly.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rawHttpRequest, REQUEST_ID_PATTERN } from '@image-catalog/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { expectDocumented } from '../packages/http/src/test-support/openapi-expectations.js';
import { createImageOverHttp } from '../examples/express-app/src/test-support/in-process-service.js';
import { poll, withReadOnlyDatabase } from './support/lifecycle.js';
import { serviceEnv, startServiceProcess, type ServiceProcess } from './support/service-process.js';

const MEMBER = 'demo-member-token';

/** Every response a connection received, in order (bodies framed by Content-Length, as this service sends them). */
function responses(received: string): Response[] {
  const found: Response[] = [];
  const head = /HTTP\/1\.1 (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/y;
  for (let at = 0, m = head.exec(received); m !== null; m = head.exec(received)) {
    const headers = new Headers();
    for (const line of m[2]!.split('\r\n').filter(Boolean)) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    at = head.lastIndex;
    const length = Number(headers.get('content-length') ?? 0);
    const status = Number(m[1]);
    found.push(new Response(status === 204 ? null : Buffer.from(received.slice(at, at + length), 'latin1'), { status, headers }));
    head.lastIndex = at + length;
  }
  return found;
}

describe('graceful shutdown of the example service (child process)', () => {
  let dataDir = '';
  let service: ServiceProcess | null = null;
  let socket: Socket | null = null;

  afterEach(() => {
    socket?.destroy();
    if (service && service.child.exitCode === null) service.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'finishes an upload in flight, answers newcomers 503 with Retry-After (or refuses them), exits 0, leaves a clean database',
    { timeout: 180_000 },
    async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'image-catalog-shutdown-'));
      service = await startServiceProcess(serviceEnv(dataDir, { IMAGE_CATALOG_SHUTDOWN_GRACE: '120' }));
      const { url } = service;
      const { port, host } = new URL(url);

      const { id } = await createImageOverHttp(`${url}/v2`, MEMBER, { name: 'in-flight' });

      // A slow upload: the head and the first half of the body now, the rest after SIGTERM.
      const data = Buffer.alloc(256 * 1024, 'x');
      let received = '';
      socket = connect(Number(port), '127.0.0.1');
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const closed = new Promise<void>((done) => socket!.once('close', () => done()));
      socket.on('error', () => {});
      socket.write(
        `PUT /v2/images/${id}/file HTTP/1.1\r\nHost: ${host}\r\nX-Auth-Token: ${MEMBER}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${data.length}\r\n\r\n`,
      );
      socket.write(data.subarray(0, data.length / 2));
      const imagesDir = path.join(dataDir, 'images');
      await poll('the upload to reach the data store', () =>
        existsSync(imagesDir) && readdirSync(imagesDir).some((n) => n.startsWith('.')) ? true : null,
      );

      service.kill('SIGTERM');

      // A new connection is either refused (no longer listening) or answered 503 with Retry-After.
      const newcomer = await poll('the service to start draining', async () => {
        const res = await rawHttpRequest(url, `GET /versions HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
        return res.status === 200 ? null : res;
      });
      if (newcomer.status !== null) {
        expect(newcomer.status).toBe(503);
        expect(newcomer.headers['retry-after']).toMatch(/^\d+$/);
        expect(newcomer.headers['x-openstack-request-id']).toMatch(REQUEST_ID_PATTERN);
        expect(JSON.parse(newcomer.body)).toMatchObject({
          serviceUnavailable: { code: 503, retryAfter: Number(newcomer.headers['retry-after']) },
        });
      }
      expect(service.child.exitCode, 'still running while the upload is in flight').toBeNull();

      // The rest of the body, and a DELETE pipelined behind it on the same connection.
      socket.write(data.subarray(data.length / 2));
      socket.write(`DELETE /v2/images/${id} HTTP/1.1\r\nHost: ${host}\r\nX-Auth-Token: ${MEMBER}\r\n\r\n`);
      await closed;
      const [upload, pipelined] = responses(received);
      expect(upload?.status, received.slice(0, 300)).toBe(204);
      // The request that arrived during the drain is refused with a documented 503, or the connection closed before it.
      if (pipelined !== undefined) {
        expect(pipelined.status).toBe(503);
        expect(pipelined.headers.get('connection')).toBe('close');
        await expectDocumented(pipelined, 'delete');
      }

      expect(await service.exited).toEqual({ code: 0, signal: null });
      expect(service.output()).toMatch(/"msg":"stopped"/);

      // The database was closed cleanly: WAL checkpointed away, integrity intact, the upload recorded, the DELETE not applied.
      const wal = path.join(dataDir, 'images.db-wal');
      expect(!existsSync(wal) || statSync(wal).size === 0, 'WAL checkpointed on close').toBe(true);
      withReadOnlyDatabase(path.join(dataDir, 'images.db'), (db) => {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.prepare('SELECT status, size FROM images WHERE id = ?').get(id)).toEqual({ status: 'active', size: data.length });
      });
      const files = readdirSync(imagesDir);
      expect(files).toHaveLength(1);
      expect(files[0]).toContain(id);
      expect(readFileSync(path.join(imagesDir, files[0]!)).equals(data)).toBe(true);
    },
  );

  it('exits 0 on SIGTERM and on SIGINT when idle, and serves the same data after a restart', { timeout: 180_000 }, async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'image-catalog-shutdown-'));
    service = await startServiceProcess(serviceEnv(dataDir));
    const { id } = await createImageOverHttp(`${service.url}/v2`, MEMBER, { protected: true });
    service.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });

    service = await startServiceProcess(serviceEnv(dataDir));
    const shown = await fetch(`${service.url}/v2/images/${id}`, { headers: { 'X-Auth-Token': MEMBER } });
    expect(shown.status).toBe(200);
    expect(await shown.json()).toMatchObject({ id, protected: true });
    service.kill('SIGINT');
    expect(await service.exited).toEqual({ code: 0, signal: null });
  });
});
