// An EventPublisher on RabbitMQ (AMQP 0-9-1): publisher confirms, message id = event id, lazy connection that is reopened after any failure.
import type { SocketOptions } from 'amqplib';
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import { publishFailed, silentLogger, type EventPublisher, type Logger, type OutboxEvent, type PublishError } from '@image-catalog/core';
import { AMQP_BODY_FORMATS, toAmqpMessage, type AmqpBodyFormat, type AmqpMessage } from './amqp-message.js';
import { AmqpSession, errorText, type AmqpTopology } from './amqp-session.js';

export interface AmqpEventPublisherOptions {
  /** `amqp://user:password@host:5672/vhost` or `amqps://…`; query parameters such as `heartbeat=30` pass to amqplib. */
  readonly url: string;
  /** Message body: `oslo` (Glance's notification envelope, the default) or `event` (our outbox event as JSON). */
  readonly format?: AmqpBodyFormat;
  /** Topic exchange the events are published to (default `glance`). */
  readonly exchange?: string;
  /** Routing key of every event (default `notifications.info`, as Glance's notifier). */
  readonly routingKey?: string;
  /** Declare the exchange (topic) on connecting (default `true`); `false` only checks that it exists. */
  readonly declareExchange?: boolean;
  /** Durability of what the publisher declares: the exchange and `queue` (default `true`). */
  readonly durable?: boolean;
  /**
   * Also declare this queue and bind it with the routing key, as oslo.messaging does (it declares
   * `notifications.info`), so events published before any consumer started wait in it. Default: none.
   */
  readonly queue?: string;
  /**
   * Publish `mandatory` (default `true`): an event no queue is bound for is returned by the
   * broker and reported as failed, so it stays in the outbox instead of being dropped.
   */
  readonly mandatory?: boolean;
  /** `publisher_id` of the oslo envelope (default `image.localhost`). */
  readonly publisherId?: string;
  /** Connecting, opening the channel and declaring the topology must finish within this (default 10 000 ms). */
  readonly connectTimeoutMs?: number;
  /** A batch must be confirmed by the broker within this (default 10 000 ms); otherwise its unconfirmed events fail and the connection is dropped. */
  readonly confirmTimeoutMs?: number;
  /** Shown by the broker (management UI, `rabbitmqctl list_connections client_properties`); default `image-catalog event publisher`. */
  readonly connectionName?: string;
  /** TLS and socket options for amqplib (`ca`, `cert`, `key`, `servername`, …). */
  readonly socketOptions?: SocketOptions;
  /** Connection lifecycle (connected, lost, blocked); errors under `err`. Default: silent. */
  readonly logger?: Logger;
}

/** The defaults of the options that have one. */
export const AMQP_PUBLISHER_DEFAULTS = {
  format: 'oslo',
  exchange: 'glance',
  routingKey: 'notifications.info',
  declareExchange: true,
  durable: true,
  mandatory: true,
  publisherId: 'image.localhost',
  connectTimeoutMs: 10_000,
  confirmTimeoutMs: 10_000,
  connectionName: 'image-catalog event publisher',
} as const satisfies Partial<Record<keyof AmqpEventPublisherOptions, unknown>>;

/** AMQP short strings (exchange, queue, routing key) hold at most 255 bytes. */
const SHORT_STRING_BYTES = 255;

/**
 * Publishes each batch of outbox events on one confirm channel and answers only when the broker
 * has confirmed every message: an event counts as published when acked and not returned as
 * unroutable; every other event is listed in `PublishError.failedEventIds`, and the relay offers
 * it again later with the same id (at least once: consumers drop duplicates by `messageId`).
 *
 * Connects on the first publish. When the connection or the channel fails, it is dropped and
 * the next publish connects again. Batches go out one at a time. Never throws, never hangs:
 * connecting and confirming are bounded by `connectTimeoutMs` and `confirmTimeoutMs`.
 */
export class AmqpEventPublisher implements EventPublisher {
  readonly #url: string;
  /** The URL without its password, for logs and error messages. */
  readonly #safeUrl: string;
  readonly #format: AmqpBodyFormat;
  readonly #publisherId: string;
  readonly #topology: AmqpTopology;
  readonly #connectTimeoutMs: number;
  readonly #confirmTimeoutMs: number;
  readonly #connectionName: string;
  readonly #socketOptions: SocketOptions;
  readonly #logger: Logger;
  #session: AmqpSession | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: AmqpEventPublisherOptions) {
    const url = parseUrl(options?.url);
    this.#url = options.url;
    this.#safeUrl = redact(url);
    const d = AMQP_PUBLISHER_DEFAULTS;
    this.#format = options.format ?? d.format;
    if (!AMQP_BODY_FORMATS.includes(this.#format))
      throw new TypeError(`AmqpEventPublisher: format must be one of ${AMQP_BODY_FORMATS.map((f) => `'${f}'`).join(', ')}`);
    const exchange = shortString('exchange', options.exchange ?? d.exchange, { allowEmpty: false });
    const declareExchange = flag('declareExchange', options.declareExchange, d.declareExchange);
    if (declareExchange && exchange.startsWith('amq.')) {
      throw new TypeError(
        `AmqpEventPublisher: the broker reserves 'amq.*' exchanges; set declareExchange: false to publish to '${exchange}'`,
      );
    }
    this.#topology = {
      exchange,
      routingKey: shortString('routingKey', options.routingKey ?? d.routingKey, { allowEmpty: true }),
      declareExchange,
      durable: flag('durable', options.durable, d.durable),
      queue: options.queue === undefined ? null : shortString('queue', options.queue, { allowEmpty: false }),
      mandatory: flag('mandatory', options.mandatory, d.mandatory),
    };
    this.#publisherId = nonEmpty('publisherId', options.publisherId ?? d.publisherId);
    this.#connectTimeoutMs = positiveInteger('connectTimeoutMs', options.connectTimeoutMs, d.connectTimeoutMs);
    this.#confirmTimeoutMs = positiveInteger('confirmTimeoutMs', options.confirmTimeoutMs, d.confirmTimeoutMs);
    this.#connectionName = nonEmpty('connectionName', options.connectionName ?? d.connectionName);
    this.#socketOptions = options.socketOptions ?? {};
    this.#logger = options.logger ?? silentLogger;
  }

  /** Where events go, for logs and health pages (no credentials). */
  get destination(): { readonly url: string; readonly exchange: string; readonly routingKey: string; readonly format: AmqpBodyFormat } {
    return { url: this.#safeUrl, exchange: this.#topology.exchange, routingKey: this.#topology.routingKey, format: this.#format };
  }

  publish(events: readonly OutboxEvent[]): ResultAsync<void, PublishError> {
    const run = this.#tail.then(() => this.#publish(events));
    this.#tail = run.catch(() => undefined);
    return new ResultAsync(run.catch((cause: unknown) => err(publishFailed(`publishing to RabbitMQ failed: ${errorText(cause)}`, cause))));
  }

  /**
   * Waits for the batch in flight (bounded by the timeouts), then closes the connection. Later
   * publishes fail with `PublishFailed`. Stop the relay first, so it does not retry into a closed publisher.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
    const session = this.#session;
    this.#session = null;
    await session?.close();
  }

  async #publish(events: readonly OutboxEvent[]): Promise<Result<void, PublishError>> {
    if (this.#closed) return err(publishFailed('the AMQP event publisher is closed'));
    if (events.length === 0) return ok(undefined);

    const messages: AmqpMessage[] = [];
    const failed = new Map<string, string>();
    let cause: unknown;
    for (const event of events) {
      try {
        messages.push(toAmqpMessage(event, this.#format, this.#publisherId));
      } catch (serialising) {
        // One event that cannot be serialised must not hold back the others.
        failed.set(event.id, `not serialisable: ${errorText(serialising)}`);
        cause ??= serialising;
      }
    }

    if (messages.length > 0) {
      const session = await this.#connected();
      if (session.isErr()) return err(session.error);
      const outcome = await session.value.publishBatch(messages, this.#confirmTimeoutMs);
      for (const [id, reason] of outcome.failed) if (!failed.has(id)) failed.set(id, reason);
      cause ??= outcome.cause;
    }
    if (failed.size === 0) return ok(undefined);

    const failedEventIds = events.filter((e) => failed.has(e.id)).map((e) => e.id);
    const reasons = [...new Set(failed.values())].join('; ');
    const { exchange, routingKey } = this.#topology;
    return err(
      publishFailed(
        `RabbitMQ did not take ${failedEventIds.length} of ${events.length} events (exchange '${exchange}', routing key '${routingKey}'): ${reasons}`,
        cause,
        failedEventIds,
      ),
    );
  }

  async #connected(): Promise<Result<AmqpSession, PublishError>> {
    if (this.#session?.usable) return ok(this.#session);
    this.#session = null;
    try {
      const session = await AmqpSession.open({
        url: this.#url,
        socketOptions: this.#socketOptions,
        connectionName: this.#connectionName,
        connectTimeoutMs: this.#connectTimeoutMs,
        topology: this.#topology,
        onLost: (lost, cause) => this.#lost(lost, cause),
        onBlocked: (reason) =>
          this.#logger.warn(
            { reason, url: this.#safeUrl },
            'RabbitMQ blocked the publisher connection (resource alarm); confirms wait until it is unblocked',
          ),
        onUnblocked: () => this.#logger.info({ url: this.#safeUrl }, 'RabbitMQ unblocked the publisher connection'),
      });
      this.#session = session;
      this.#logger.info({ ...this.destination }, 'connected to RabbitMQ');
      return ok(session);
    } catch (cause) {
      this.#logger.warn({ err: cause, url: this.#safeUrl }, 'could not connect to RabbitMQ; the next publish tries again');
      return err(publishFailed(`could not connect to RabbitMQ at ${this.#safeUrl}: ${errorText(cause)}`, cause));
    }
  }

  #lost(session: AmqpSession, cause: unknown): void {
    if (this.#session !== session) return;
    this.#session = null;
    this.#logger.warn({ err: cause, url: this.#safeUrl }, 'RabbitMQ connection lost; the next publish reconnects');
  }
}

function parseUrl(value: unknown): URL {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError('AmqpEventPublisher: url must be an amqp:// or amqps:// URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('AmqpEventPublisher: url is not a valid URL');
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:')
    throw new TypeError(`AmqpEventPublisher: url must use amqp: or amqps:, not ${url.protocol}`);
  return url;
}

function redact(url: URL): string {
  const copy = new URL(url);
  if (copy.password) copy.password = '***';
  return copy.toString();
}

function shortString(name: string, value: unknown, { allowEmpty }: { allowEmpty: boolean }): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0) || Buffer.byteLength(value, 'utf8') > SHORT_STRING_BYTES) {
    throw new TypeError(
      `AmqpEventPublisher: ${name} must be a ${allowEmpty ? '' : 'non-empty '}string of at most ${SHORT_STRING_BYTES} bytes`,
    );
  }
  return value;
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`AmqpEventPublisher: ${name} must be a non-empty string`);
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  const v = value ?? fallback;
  if (typeof v !== 'boolean') throw new TypeError(`AmqpEventPublisher: ${name} must be a boolean`);
  return v;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`AmqpEventPublisher: ${name} must be an integer >= 1 (milliseconds)`);
  return v;
}
