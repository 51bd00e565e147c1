// The publisher without a working broker: bad options are refused up front, and an absent or mute broker is a clean PublishFailed.
import net, { type AddressInfo, type Socket } from 'node:net';
import type { Logger, OutboxEvent } from '@image-catalog/core';
import { afterEach, describe, expect, it } from 'vitest';
import { AmqpEventPublisher, AMQP_PUBLISHER_DEFAULTS, type AmqpEventPublisherOptions } from './amqp-event-publisher.js';

const event: OutboxEvent = {
  id: 'e1',
  type: 'image.delete',
  imageId: 'i1',
  payload: {} as OutboxEvent['payload'],
  occurredAt: new Date('2024-05-01T12:00:00Z'),
  deliveredAt: null,
  attempts: 0,
};

function recordingLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback server that accepts connections and never says a word: a hung broker. */
async function muteServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

describe('AmqpEventPublisher options', () => {
  const url = 'amqp://guest:guest@127.0.0.1:5672';

  it('refuses what the broker would refuse, naming the option', () => {
    const bad: [Partial<AmqpEventPublisherOptions>, RegExp][] = [
      [{ url: '' }, /url must be an amqp/],
      [{ url: 'not a url' }, /url is not a valid URL/],
      [{ url: 'http://127.0.0.1:5672' }, /amqp: or amqps:/],
      [{ format: 'xml' as never }, /format must be one of 'event', 'oslo'/],
      [{ exchange: '' }, /exchange must be a non-empty string/],
      [{ exchange: 'x'.repeat(256) }, /exchange must be .* at most 255 bytes/],
      [{ exchange: 'amq.topic' }, /declareExchange: false/],
      [{ routingKey: 'é'.repeat(128) }, /routingKey must be a string of at most 255 bytes/],
      [{ queue: '' }, /queue must be a non-empty string/],
      [{ publisherId: '' }, /publisherId must be a non-empty string/],
      [{ connectTimeoutMs: 0 }, /connectTimeoutMs must be an integer >= 1/],
      [{ confirmTimeoutMs: 1.5 }, /confirmTimeoutMs must be an integer >= 1/],
      [{ mandatory: 'yes' as never }, /mandatory must be a boolean/],
    ];
    for (const [options, message] of bad) {
      expect(() => new AmqpEventPublisher({ url, ...options }), JSON.stringify(options)).toThrow(message);
    }
    expect(() => new AmqpEventPublisher(undefined as never)).toThrow(/url must be an amqp/);
  });

  it('accepts amq.* exchanges when it is not to declare them, and has Glance-like defaults', () => {
    expect(() => new AmqpEventPublisher({ url, exchange: 'amq.topic', declareExchange: false })).not.toThrow();
    const publisher = new AmqpEventPublisher({ url });
    expect(publisher.destination).toEqual({
      url: 'amqp://guest:***@127.0.0.1:5672',
      exchange: 'glance',
      routingKey: 'notifications.info',
      format: 'oslo',
    });
    expect(AMQP_PUBLISHER_DEFAULTS).toMatchObject({
      exchange: 'glance',
      routingKey: 'notifications.info',
      publisherId: 'image.localhost',
      format: 'oslo',
      mandatory: true,
      durable: true,
    });
  });
});

describe('AmqpEventPublisher without a broker', () => {
  it('answers PublishFailed when nothing listens, without the password, and logs the cause under err', async () => {
    const { logger, lines } = recordingLogger();
    const publisher = new AmqpEventPublisher({ url: `amqp://guest:s3cret@127.0.0.1:${await closedPort()}`, logger });
    cleanups.push(() => publisher.close());

    const result = await publisher.publish([event]);
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: 'PublishFailed',
      message: expect.stringMatching(/could not connect to RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+.*ECONNREFUSED/),
    });
    // Nothing of the batch went out: no failedEventIds means the relay counts all of it as failed.
    expect(result._unsafeUnwrapErr().failedEventIds).toBeUndefined();
    expect(JSON.stringify(result._unsafeUnwrapErr().message)).not.toContain('s3cret');
    const warning = lines.find((l) => l.level === 'warn');
    expect(warning?.obj['err']).toBeInstanceOf(Error);
    expect(JSON.stringify(lines.map((l) => ({ ...l, obj: { ...l.obj, err: undefined } })))).not.toContain('s3cret');
  });

  it('gives up on a broker that accepts the connection but never answers, within connectTimeoutMs', async () => {
    const publisher = new AmqpEventPublisher({ url: `amqp://127.0.0.1:${await muteServer()}`, connectTimeoutMs: 300 });
    cleanups.push(() => publisher.close());

    const started = Date.now();
    const result = await publisher.publish([event]);
    const elapsed = Date.now() - started;
    expect(result._unsafeUnwrapErr()).toMatchObject({
      kind: 'PublishFailed',
      message: expect.stringContaining('could not connect to RabbitMQ'),
    });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5_000);
    // And again on the next publish: the failed attempt left nothing behind that blocks it.
    expect((await publisher.publish([event])).isErr()).toBe(true);
  });

  it('publishes an empty batch without connecting, and refuses every batch once closed', async () => {
    const publisher = new AmqpEventPublisher({ url: `amqp://127.0.0.1:${await closedPort()}` });
    expect((await publisher.publish([])).isOk()).toBe(true);
    await publisher.close();
    expect((await publisher.publish([event]))._unsafeUnwrapErr()).toMatchObject({
      kind: 'PublishFailed',
      message: 'the AMQP event publisher is closed',
    });
    await publisher.close();
  });
});
