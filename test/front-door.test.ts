// createImageCatalog end to end: an Express host with its own cookie session, SQLite, files on disk, RabbitMQ; start() delivers and scrubs, stop() drains.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageDataStore, Principal } from '@image-catalog/core';
import { AmqpEventPublisher } from '@image-catalog/amqp';
import { createImagesRouter, type ExpressIdentityResolver } from '@image-catalog/express';
import { FileImageDataStore } from '@image-catalog/filesystem';
import { authenticated, createImageCatalog, unauthenticated, type ImageCatalogService } from '@image-catalog/http';
import { createSqliteStorage, openDatabase } from '@image-catalog/sqlite';
import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';

const AMQP_URL = process.env['IMAGE_CATALOG_TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const alice: Principal = { userId: 'alice', projectId: 'team-a', roles: ['member'] };

async function brokerAnswers(): Promise<boolean> {
  try {
    const connection = await connect(AMQP_URL, { timeout: 2_000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}
const broker = await brokerAnswers();
if (!broker) console.warn(`[front-door] SKIPPED the RabbitMQ cases: no broker answers at ${AMQP_URL}`);

/** A queue bound to a fresh topic exchange, as a notification consumer (Ceilometer) would have. */
async function openConsumer() {
  const exchange = `front-door-${globalThis.crypto.randomUUID()}`;
  const connection: ChannelModel = await connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, 'notifications.info');
  const received: ConsumeMessage[] = [];
  await channel.consume(queue, (message) => void (message && received.push(message)), { noAck: true });
  return {
    exchange,
    received,
    async close() {
      await channel.deleteExchange(exchange).catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function* bytes(text: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(text);
}

/** The host: its own session cookie middleware, our router mounted at /v2 with host identity. */
function host(catalog: ImageCatalogService): Promise<{ server: Server; url: string }> {
  const sessions = new Map<string, Principal>([['s-alice', alice]]);
  const users = new WeakMap<object, Principal>();
  const app = express();
  app.use((req, _res, next) => {
    const sid = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const user = sid === undefined ? undefined : sessions.get(sid);
    if (user !== undefined) users.set(req, user);
    next();
  });
  const identify: ExpressIdentityResolver = (req) => {
    const user = users.get(req);
    return user === undefined ? unauthenticated() : authenticated(user);
  };
  app.use('/v2', createImagesRouter({ ...catalog.pipeline, identify }));
  const server = createServer(app);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2` })),
  );
}

describe('createImageCatalog: the front door', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function fixture(dataStore?: (files: FileImageDataStore) => ImageDataStore) {
    const dir = mkdtempSync(join(tmpdir(), 'front-door-'));
    const db = openDatabase(join(dir, 'images.db'));
    cleanups.push(() => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const storage = createSqliteStorage(db);
    const files = new FileImageDataStore({ root: join(dir, 'images') });
    async function imageWithData(): Promise<{ id: string; file: string }> {
      const id = globalThis.crypto.randomUUID();
      (
        await storage.catalog.createImage({ id, name: 'cirros', owner: alice.projectId, visibility: 'private' }, new Date())
      )._unsafeUnwrap();
      const stored = (await files.write(id, bytes('image bytes')))._unsafeUnwrap();
      (await storage.catalog.attachImageData(id, stored, new Date()))._unsafeUnwrap();
      return { id, file: fileURLToPath(stored.url) };
    }
    return { storage, files, dataStore: dataStore ? dataStore(files) : files, imageWithData };
  }

  it.runIf(broker)(
    'start() delivers the image.delete event of a cookie-authenticated delete to RabbitMQ, and the scrubber removes the data',
    async () => {
      const consumer = await openConsumer();
      cleanups.push(() => consumer.close());
      const { storage, dataStore, imageWithData } = fixture();
      const publisher = new AmqpEventPublisher({ url: AMQP_URL, exchange: consumer.exchange, declareExchange: false });
      cleanups.push(() => publisher.close());
      // Delayed delete (1 s): the data is left to the scrubber, which start() runs.
      const catalog = createImageCatalog({
        storage,
        dataStore,
        publisher,
        deleteImage: { delayedDelete: { delaySeconds: 1 } },
        scrubber: { intervalMs: 200 },
        relay: { intervalMs: 200 },
      });
      const { server, url } = await host(catalog);
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      catalog.start();
      cleanups.push(() => catalog.stop());

      const image = await imageWithData();
      const anonymous = await fetch(`${url}/images/${image.id}`, { method: 'DELETE' });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBeTruthy();
      const deleted = await fetch(`${url}/images/${image.id}`, { method: 'DELETE', headers: { Cookie: 'session=s-alice' } });
      expect(deleted.status).toBe(204);
      expect(deleted.headers.get('x-openstack-request-id')).toMatch(/^req-[0-9a-f-]{36}$/);

      const message = await until('the image.delete event on the bus', () => consumer.received[0]);
      const [event] = (await storage.outbox.listEvents({ imageId: image.id }))._unsafeUnwrap();
      expect(message.properties.messageId).toBe(event?.id);
      const envelope = JSON.parse(message.content.toString('utf8')) as { 'oslo.version': string; 'oslo.message': string };
      expect(envelope['oslo.version']).toBe('2.0');
      expect(JSON.parse(envelope['oslo.message'])).toMatchObject({ event_type: 'image.delete', payload: { id: image.id, deleted: true } });

      expect(existsSync(image.file)).toBe(true); // not before the delay
      await until('the data file removed by the scrubber', () => (existsSync(image.file) ? undefined : true));
      expect((await storage.images.findById(image.id))._unsafeUnwrap()?.status).toBe('deleted');
      expect(consumer.received).toHaveLength(1);
    },
  );

  it('stop() answers new requests 503, waits for the delete in flight, then stops the background work', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { storage, dataStore, imageWithData } = fixture((files) => ({
      // The data store holds the inline deletion until the test lets it go.
      delete: (url) => files.delete(url).map(async (done) => (await gate, done)),
    }));
    const catalog = createImageCatalog({ storage, dataStore, drainTimeoutMs: 10_000 });
    const { server, url } = await host(catalog);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    catalog.start();

    const image = await imageWithData();
    const inFlight = fetch(`${url}/images/${image.id}`, { method: 'DELETE', headers: { Cookie: 'session=s-alice' } });
    await until('the delete committed', async () =>
      (await storage.images.findById(image.id))._unsafeUnwrap()?.deleted === true ? true : undefined,
    );

    let stopped = false;
    const stopping = catalog.stop().then(() => (stopped = true));
    const refused = await fetch(`${url}/images/${globalThis.crypto.randomUUID()}`, {
      method: 'DELETE',
      headers: { Cookie: 'session=s-alice' },
    });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false); // still waiting for the delete in flight

    release();
    expect((await inFlight).status).toBe(204);
    await stopping;
    expect(stopped).toBe(true);
    expect(existsSync(image.file)).toBe(false);
  });
});
