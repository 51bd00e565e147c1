// The event publisher the settings select: RabbitMQ (IMAGE_CATALOG_AMQP_URL), else a JSON-lines file (IMAGE_CATALOG_EVENTS_FILE), else none.
import { AmqpEventPublisher } from '@image-catalog/amqp';
import type { EventPublisher, Logger } from '@image-catalog/core';
import { JsonLinesEventPublisher } from '@image-catalog/filesystem';
import type { ServiceConfig } from './config.js';

export interface ServicePublisher {
  readonly publisher: EventPublisher;
  /** For the start-up log: where events go (no password). */
  readonly description: string;
  /** After the relay has stopped: closes the connection, if there is one. */
  close(): Promise<void>;
}

/**
 * `null` when neither is set: the catalog then runs no relay, and events wait in the outbox
 * (it says so at start) until the service runs with a publisher or `pnpm scrub` does.
 */
export function openEventPublisher(config: ServiceConfig, logger: Logger): ServicePublisher | null {
  if (config.amqp !== null) {
    const amqp = new AmqpEventPublisher({ ...config.amqp, logger });
    const { url, exchange, routingKey, format } = amqp.destination;
    return {
      publisher: amqp,
      description: `amqp:${url} exchange=${exchange} routingKey=${routingKey} format=${format}`,
      close: () => amqp.close(),
    };
  }
  if (config.eventsFile !== null) {
    return {
      publisher: new JsonLinesEventPublisher({ path: config.eventsFile }),
      description: `file:${config.eventsFile}`,
      close: async () => {},
    };
  }
  return null;
}
