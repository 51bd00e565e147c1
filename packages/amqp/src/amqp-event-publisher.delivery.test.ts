// Delivery through the real broker: what a bound consumer receives in both formats, and which events the broker did not take.
import { randomUUID } from 'node:crypto';
import type { OutboxEvent } from '@image-catalog/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AmqpEventPublisher, type AmqpEventPublisherOptions } from './amqp-event-publisher.js';
import { brokerUnreachable, skipNote, TestConsumer, TEST_AMQP_URL, uniqueName, withAdminChannel } from './test-support/test-broker.js';

function events(count: number): OutboxEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const imageId = randomUUID();
    return {
      id: randomUUID(),
      type: 'image.delete',
      imageId,
      payload: {
        id: imageId,
        name: `image ${i}`,
        status: 'deleted',
        created_at: '2024-04-01T08:00:00Z',
        updated_at: '2024-05-01T12:00:00Z',
        min_disk: 0,
        min_ram: 0,
        protected: false,
        checksum: null,
        owner: 'p1',
        disk_format: null,
        container_format: null,
        size: null,
        virtual_size: null,
        is_public: false,
        visibility: 'private',
        properties: {},
        tags: [],
        deleted: true,
        deleted_at: '2024-05-01T12:00:00Z',
      },
      occurredAt: new Date(Date.UTC(2024, 4, 1, 12, 0, i, 250)),
      deliveredAt: null,
      attempts: 0,
    };
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: Partial<AmqpEventPublisherOptions> = {}, consumerQueues: readonly string[] = []) {
  const consumer = await TestConsumer.open({ routingKey: options.routingKey ?? 'notifications.info' });
  cleanups.push(() => consumer.close(consumerQueues));
  const publisher = new AmqpEventPublisher({
    url: TEST_AMQP_URL,
    exchange: consumer.exchange,
    connectionName: uniqueName('publisher'),
    ...options,
  });
  cleanups.push(() => publisher.close());
  return { consumer, publisher };
}

describe.skipIf(brokerUnreachable !== null)(`AmqpEventPublisher: delivery${skipNote}`, () => {
  it("format 'oslo': a bound consumer receives each event, persistent, its id as message id, in the oslo.messaging envelope", async () => {
    const { consumer, publisher } = await setup({ format: 'oslo', publisherId: 'image.test-host' });
    const batch = events(3);

    expect((await publisher.publish(batch)).isOk()).toBe(true);
    const received = await consumer.waitFor(3);

    expect(received.map((r) => r.messageId)).toEqual(batch.map((e) => e.id));
    for (const [i, { message, body }] of received.entries()) {
      const event = batch[i]!;
      expect(message.fields).toMatchObject({ exchange: consumer.exchange, routingKey: 'notifications.info' });
      expect(message.properties).toMatchObject({
        messageId: event.id,
        type: 'image.delete',
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        timestamp: Math.floor(event.occurredAt.getTime() / 1000),
      });
      expect(body).toEqual({ 'oslo.version': '2.0', 'oslo.message': expect.any(String) });
      const oslo = JSON.parse((body as Record<string, string>)['oslo.message']!);
      expect(oslo).toEqual({
        message_id: event.id,
        publisher_id: 'image.test-host',
        event_type: 'image.delete',
        priority: 'INFO',
        timestamp: `2024-05-01 12:00:0${i}.250000`,
        payload: event.payload,
        _unique_id: event.id,
      });
    }
  });

  it("format 'event': the consumer receives our outbox event as JSON", async () => {
    const { consumer, publisher } = await setup({ format: 'event', routingKey: 'image.events' });
    const batch = events(2);

    expect((await publisher.publish(batch)).isOk()).toBe(true);
    const received = await consumer.waitFor(2);

    expect(received.map((r) => r.body)).toEqual(
      batch.map((e) => ({ id: e.id, type: e.type, imageId: e.imageId, occurredAt: e.occurredAt.toISOString(), payload: e.payload })),
    );
    expect(received.map((r) => [r.messageId, r.message.fields.routingKey, r.message.properties.deliveryMode])).toEqual(
      batch.map((e) => [e.id, 'image.events', 2]),
    );
  });

  it('declares a durable topic exchange, and the optional queue bound with the routing key, as oslo.messaging does', async () => {
    const exchange = uniqueName('declared');
    const queue = uniqueName('oslo-queue');
    const publisher = new AmqpEventPublisher({ url: TEST_AMQP_URL, exchange, queue });
    cleanups.push(() => withAdminChannel(async (ch) => void (await ch.deleteQueue(queue), await ch.deleteExchange(exchange))));
    cleanups.push(() => publisher.close());
    const batch = events(2);

    // No consumer yet: the queue the publisher declared keeps the events.
    expect((await publisher.publish(batch)).isOk()).toBe(true);
    const kept = await withAdminChannel(async (ch) => {
      const first = await ch.get(queue, { noAck: true });
      const second = await ch.get(queue, { noAck: true });
      return [first, second].map((m) => (m ? m.properties.messageId : null));
    });
    expect(kept).toEqual(batch.map((e) => e.id));

    // Declaring it again with the same arguments succeeds only if it is a durable topic exchange.
    await withAdminChannel((ch) => ch.assertExchange(exchange, 'topic', { durable: true, autoDelete: false }));
  });

  it('reports events no queue is bound for as failed (mandatory), and delivers them once a queue is bound', async () => {
    const { consumer, publisher } = await setup();
    await consumer.unbind();
    const batch = events(2);

    const refused = (await publisher.publish(batch))._unsafeUnwrapErr();
    expect(refused.kind).toBe('PublishFailed');
    expect(refused.failedEventIds).toEqual(batch.map((e) => e.id));
    expect(refused.message).toContain(
      `unroutable: no queue is bound to exchange '${consumer.exchange}' for routing key 'notifications.info'`,
    );

    await consumer.bind();
    expect((await publisher.publish(batch)).isOk()).toBe(true);
    expect((await consumer.drain()).map((r) => r.messageId)).toEqual(batch.map((e) => e.id));
  });

  it('with mandatory: false, an unroutable event counts as published (the broker drops it)', async () => {
    const { consumer, publisher } = await setup({ mandatory: false });
    await consumer.unbind();
    expect((await publisher.publish(events(1))).isOk()).toBe(true);
  });

  it('lists exactly the events the broker nacked; the others count as published', async () => {
    // A queue that holds one message and refuses more: RabbitMQ nacks the overflowing publishes.
    const exchange = uniqueName('overflow');
    const queue = uniqueName('one-slot');
    await withAdminChannel(async (ch) => {
      await ch.assertExchange(exchange, 'topic', { durable: true });
      await ch.assertQueue(queue, { durable: true, maxLength: 1, overflow: 'reject-publish' });
      await ch.bindQueue(queue, exchange, '#');
    });
    cleanups.push(() => withAdminChannel(async (ch) => void (await ch.deleteQueue(queue), await ch.deleteExchange(exchange))));
    const publisher = new AmqpEventPublisher({ url: TEST_AMQP_URL, exchange });
    cleanups.push(() => publisher.close());
    const batch = events(3);

    const partly = (await publisher.publish(batch))._unsafeUnwrapErr();
    expect(partly.failedEventIds).toEqual([batch[1]!.id, batch[2]!.id]);
    expect(partly.message).toMatch(/2 of 3 events .*not confirmed: message nacked/);

    // The connection stays usable after nacks.
    await withAdminChannel((ch) => ch.purgeQueue(queue));
    expect(await publisher.publish([batch[1]!])).toMatchObject({ value: undefined });
  });

  it('with declareExchange: false, a missing exchange is a clean PublishFailed until it exists', async () => {
    const exchange = uniqueName('absent');
    const publisher = new AmqpEventPublisher({ url: TEST_AMQP_URL, exchange, declareExchange: false });
    cleanups.push(() => publisher.close());
    const batch = events(1);

    const missing = (await publisher.publish(batch))._unsafeUnwrapErr();
    expect(missing.message).toMatch(/could not connect to RabbitMQ .*NOT_FOUND - no exchange/);

    const consumer = await TestConsumer.open({ exchange });
    cleanups.push(() => consumer.close());
    expect((await publisher.publish(batch)).isOk()).toBe(true);
    expect((await consumer.waitFor(1)).map((r) => r.messageId)).toEqual([batch[0]!.id]);
  });

  it('an exchange oslo.messaging declared non-durable (its default) is refused with durable: true, and shared with durable: false', async () => {
    const exchange = uniqueName('oslo-default');
    await withAdminChannel((ch) => ch.assertExchange(exchange, 'topic', { durable: false, autoDelete: false }));
    cleanups.push(() => withAdminChannel(async (ch) => void (await ch.deleteExchange(exchange))));
    const batch = events(1);

    const strict = new AmqpEventPublisher({ url: TEST_AMQP_URL, exchange });
    cleanups.push(() => strict.close());
    expect((await strict.publish(batch))._unsafeUnwrapErr().message).toMatch(/PRECONDITION_FAILED - inequivalent arg 'durable'/);

    const consumer = await TestConsumer.open({ exchange, durable: false });
    cleanups.push(() => consumer.close());
    const sharing = new AmqpEventPublisher({ url: TEST_AMQP_URL, exchange, durable: false });
    cleanups.push(() => sharing.close());
    expect((await sharing.publish(batch)).isOk()).toBe(true);
    expect((await consumer.waitFor(1)).map((r) => r.messageId)).toEqual([batch[0]!.id]);
  });

  it('publishes a large batch, with every confirm accounted for', async () => {
    const { consumer, publisher } = await setup({ format: 'event' });
    const batch = events(2_000);

    expect((await publisher.publish(batch)).isOk()).toBe(true);
    expect(new Set((await consumer.waitFor(2_000)).map((r) => r.messageId))).toEqual(new Set(batch.map((e) => e.id)));
  });
});
