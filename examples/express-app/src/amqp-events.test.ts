// The example service with IMAGE_CATALOG_AMQP_URL: deleting an image with data sends Glance's image.delete notification to a real RabbitMQ consumer, and the data goes.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerUnreachable, skipNote, TEST_AMQP_URL, TestConsumer } from '../../../packages/amqp/src/test-support/test-broker.js';
import {
  authHeaders,
  createImageOverHttp,
  deleteImage,
  startInProcessService,
  type InProcessService,
} from './test-support/in-process-service.js';

const MEMBER = 'demo-member-token';

/** Bounded polling: `check` every 50 ms until it holds, at most `timeoutMs`. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await check());) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(brokerUnreachable !== null)(`example service with IMAGE_CATALOG_AMQP_URL (real RabbitMQ)${skipNote}`, () => {
  let consumer: TestConsumer | null = null;
  let svc: InProcessService | null = null;

  beforeAll(async () => {
    // A throw-away exchange with a queue bound to Glance's routing key before the service publishes anything.
    consumer = await TestConsumer.open({ routingKey: 'notifications.info' });
    svc = await startInProcessService({ env: { IMAGE_CATALOG_AMQP_URL: TEST_AMQP_URL, IMAGE_CATALOG_AMQP_EXCHANGE: consumer.exchange } });
  });
  afterAll(async () => {
    await svc?.close();
    await consumer?.close();
  });

  it('delivers image.delete in the oslo envelope with the event id as messageId, and removes the data file', async () => {
    if (svc === null || consumer === null) throw new Error('not started');
    const { api, dataDir } = svc;
    // Where events go, as the start-up log says it: Glance's routing key and envelope by default, never the password.
    expect(svc.service.events).toMatch(
      new RegExp(`^amqp:amqps?://\\S+ exchange=${consumer.exchange} routingKey=notifications\\.info format=oslo$`),
    );
    const password = new URL(TEST_AMQP_URL).password;
    if (password !== '') expect(svc.service.events).not.toContain(`:${password}@`);

    const { id } = await createImageOverHttp(api, MEMBER, { name: 'goes-to-rabbit', disk_format: 'raw', container_format: 'bare' });
    const upload = await fetch(`${api}/images/${id}/file`, {
      method: 'PUT',
      headers: authHeaders(MEMBER, { 'Content-Type': 'application/octet-stream' }),
      body: new Uint8Array(4096).fill(7),
    });
    expect(upload.status).toBe(204);
    const imagesDir = path.join(dataDir, 'images');
    const dataFiles = () => readdirSync(imagesDir).filter((name) => name.startsWith(id));
    const [file] = dataFiles();
    expect(file).toBeDefined();
    expect(consumer.received).toEqual([]);

    expect((await deleteImage(api, MEMBER, id)).status).toBe(204);

    const [received] = await consumer.waitFor(1, 20_000);
    const { outbox } = svc.service.storage;
    const events = (await outbox.listEvents({ imageId: id }))._unsafeUnwrap();
    expect(events.map((e) => e.type)).toEqual(['image.delete']);
    const event = events[0]!;
    expect(received!.messageId).toBe(event.id);
    expect(received!.message.properties).toMatchObject({ type: 'image.delete', contentType: 'application/json' });
    const envelope = received!.body as { 'oslo.version': string; 'oslo.message': string };
    expect(envelope['oslo.version']).toBe('2.0');
    expect(JSON.parse(envelope['oslo.message'])).toMatchObject({
      message_id: event.id,
      _unique_id: event.id,
      event_type: 'image.delete',
      priority: 'INFO',
      payload: { id, name: 'goes-to-rabbit', status: 'deleted', deleted: true },
    });

    await until('the data file to be removed', () => !existsSync(path.join(imagesDir, file!)));
    expect(dataFiles()).toEqual([]);
    // Marked delivered once the broker confirmed it, and sent once: nothing else arrives.
    await until(
      'the event to be marked delivered',
      async () => (await outbox.listEvents({ imageId: id, delivered: true }))._unsafeUnwrap().length === 1,
    );
    expect((await consumer.drain()).map((r) => r.messageId)).toEqual([event.id]);
  });
});
