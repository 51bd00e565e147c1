// A memory catalog whose deletes the outbox relay publishes to the test broker, through a proxy the test can break, with a consumer bound.
import { randomUUID } from 'node:crypto';
import { DeleteImage, defaultDeletePolicy, type EventPublisher, type OutboxEvent, type PublishError } from '@image-catalog/core';
import { OutboxRelay, type OutboxRelayOptions } from '@image-catalog/core/workers';
import { createMemoryStorage } from '@image-catalog/memory';
import { adminPrincipal, TestClock } from '@image-catalog/testkit';
import { ResultAsync, type Result } from 'neverthrow';
import { AmqpEventPublisher, type AmqpEventPublisherOptions } from '../amqp-event-publisher.js';
import { TcpProxy } from './tcp-proxy.js';
import { TestConsumer, TEST_AMQP_URL, uniqueName } from './test-broker.js';

/** Runs instead of a plain publish of one batch; `publish` is the real one. */
export type BatchInterceptor = (
  events: readonly OutboxEvent[],
  publish: () => ResultAsync<void, PublishError>,
) => Promise<Result<void, PublishError>>;

export interface RelayHarnessOptions {
  readonly publisher?: Partial<AmqpEventPublisherOptions>;
  readonly relay?: OutboxRelayOptions;
}

export async function openRelayHarness(options: RelayHarnessOptions = {}) {
  const clock = new TestClock();
  const store = createMemoryStorage();
  const deleteImage = new DeleteImage(store.images, defaultDeletePolicy, clock, null);
  const consumer = await TestConsumer.open();
  const proxy = await TcpProxy.start(TEST_AMQP_URL);
  const connectionName = uniqueName('relay-publisher');
  const amqp = new AmqpEventPublisher({
    url: proxy.urlFor(TEST_AMQP_URL),
    exchange: consumer.exchange,
    connectionName,
    ...options.publisher,
  });

  const interceptors: BatchInterceptor[] = [];
  const batches: (readonly string[])[] = [];
  const publisher: EventPublisher = {
    publish(events) {
      batches.push(events.map((e) => e.id));
      const intercept = interceptors.shift();
      return intercept ? new ResultAsync(intercept(events, () => amqp.publish(events))) : amqp.publish(events);
    },
  };
  const relay = new OutboxRelay(store.outbox, publisher, clock, undefined, { backoff: { random: () => 0 }, ...options.relay });

  return {
    clock,
    store,
    consumer,
    proxy,
    amqp,
    relay,
    connectionName,
    /** Ids of the events of each batch the relay published, in order. */
    batches,
    /** The next batch runs `interceptor` instead of a plain publish. */
    interceptNextBatch(interceptor: BatchInterceptor): void {
      interceptors.push(interceptor);
    },
    /** Deletes `count` new images; answers their event ids in commit order. */
    async deleteImages(count: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const id = randomUUID();
        (await store.catalog.createImage({ id, owner: 'p1', status: 'active' }, clock.now()))._unsafeUnwrap();
        ids.push((await deleteImage.execute({ imageId: id, principal: adminPrincipal() }))._unsafeUnwrap().eventId);
      }
      return ids;
    },
    deleteImage,
    async outbox(filter: { delivered?: boolean } = {}): Promise<readonly OutboxEvent[]> {
      return (await store.outbox.listEvents({ ...filter, limit: 10_000 }))._unsafeUnwrap();
    },
    async close(): Promise<void> {
      await relay.stop();
      await amqp.close();
      await proxy.close();
      await consumer.close();
    },
  };
}

export type RelayHarness = Awaited<ReturnType<typeof openRelayHarness>>;
