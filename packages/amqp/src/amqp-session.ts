// One broker connection with its confirm channel and declared topology: the unit the publisher drops on any failure and reopens.
import { connect, type ChannelModel, type ConfirmChannel, type SocketOptions } from 'amqplib';
import type { AmqpMessage } from './amqp-message.js';

/** Where messages go, and what the session declares on opening. */
export interface AmqpTopology {
  readonly exchange: string;
  readonly routingKey: string;
  /** `true`: declare the topic exchange; `false`: only check that it exists. */
  readonly declareExchange: boolean;
  readonly durable: boolean;
  /** A queue to declare and bind with the routing key, or `null`. */
  readonly queue: string | null;
  readonly mandatory: boolean;
}

export interface AmqpSessionOptions {
  readonly url: string;
  readonly socketOptions: SocketOptions;
  readonly connectionName: string;
  readonly connectTimeoutMs: number;
  readonly topology: AmqpTopology;
  /** Called once, when the connection or the channel goes away other than by `close()`. */
  readonly onLost: (session: AmqpSession, cause: unknown) => void;
  readonly onBlocked: (reason: string) => void;
  readonly onUnblocked: () => void;
}

/** Events of a batch that the broker did not take, with why; empty when every one was confirmed. */
export interface BatchOutcome {
  readonly failed: ReadonlyMap<string, string>;
  /** The first error met, for logs. */
  readonly cause: unknown;
}

/** How long `close()` waits for the broker's close-ok before dropping the socket. */
const CLOSE_TIMEOUT_MS = 2_000;

export class AmqpSession {
  #channel: ConfirmChannel | null = null;
  #lostBecause: unknown = null;
  #closing = false;
  /** Message ids the broker returned as unroutable during the batch in flight. */
  #returned: Set<string> | null = null;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly options: AmqpSessionOptions,
  ) {
    // Listeners before anything else: amqplib throws an 'error' event nobody listens to.
    connection.on('error', (cause: Error) => this.#lose(cause));
    connection.on('close', (cause?: Error) => this.#lose(cause ?? new Error('connection closed')));
    connection.on('blocked', (reason: string) => options.onBlocked(reason));
    connection.on('unblocked', () => options.onUnblocked());
  }

  /** Connects, opens a confirm channel and declares the topology, all within `connectTimeoutMs`; rejects otherwise. */
  static async open(options: AmqpSessionOptions): Promise<AmqpSession> {
    const attempt: { abandoned: boolean; session: AmqpSession | null } = { abandoned: false, session: null };
    const opening = (async () => {
      const connection = await connect(options.url, {
        ...options.socketOptions,
        timeout: options.connectTimeoutMs,
        clientProperties: { ...options.socketOptions.clientProperties, connection_name: options.connectionName },
      });
      const session = new AmqpSession(connection, options);
      attempt.session = session;
      if (attempt.abandoned) {
        // Connected after the deadline: nobody will use it.
        await session.close();
        throw new Error('connection attempt abandoned');
      }
      await session.#setUp();
      return session;
    })();
    try {
      return await withTimeout(
        opening,
        options.connectTimeoutMs,
        `RabbitMQ did not complete the connection within ${options.connectTimeoutMs} ms`,
      );
    } catch (cause) {
      attempt.abandoned = true;
      opening.catch(() => undefined);
      await attempt.session?.close();
      throw cause;
    }
  }

  /** `false` once the connection or channel is gone, or `close()` was called. */
  get usable(): boolean {
    return this.#lostBecause === null && !this.#closing && this.#channel !== null;
  }

  /**
   * Publishes the messages in order and waits for the broker's confirms, all within
   * `timeoutMs`. A message counts only when acked and not returned as unroutable. On timeout
   * the session closes itself, so a late confirm can never be mistaken for another batch's.
   */
  async publishBatch(messages: readonly AmqpMessage[], timeoutMs: number): Promise<BatchOutcome> {
    const { exchange, routingKey, mandatory } = this.options.topology;
    const failed = new Map<string, string>();
    let firstCause: unknown;
    const fail = (eventId: string, reason: string, cause: unknown) => {
      if (!failed.has(eventId)) failed.set(eventId, reason);
      if (firstCause === undefined) firstCause = cause;
    };
    const returned = new Set<string>();
    this.#returned = returned;
    const unconfirmed = new Set<number>();
    const confirms: Promise<void>[] = [];
    const deadline = startDeadline(timeoutMs);

    try {
      for (const [index, message] of messages.entries()) {
        const channel = this.#channel;
        if (!this.usable || channel === null || deadline.expired) {
          const cause = this.#lostBecause ?? new Error(deadline.expired ? `timed out after ${timeoutMs} ms` : 'channel closed');
          fail(message.eventId, `not sent: ${errorText(cause)}`, cause);
          continue;
        }
        let writable = true;
        unconfirmed.add(index);
        confirms.push(
          new Promise<void>((settle) => {
            const confirmed = (error: unknown) => {
              if (!unconfirmed.delete(index)) return;
              if (error) fail(message.eventId, `not confirmed: ${errorText(error)}`, error);
              else if (returned.has(message.eventId)) {
                fail(
                  message.eventId,
                  `unroutable: no queue is bound to exchange '${exchange}' for routing key '${routingKey}'`,
                  new Error('message returned by the broker'),
                );
              }
              settle();
            };
            try {
              writable = channel.publish(exchange, routingKey, message.content, { ...message.properties, mandatory }, confirmed);
            } catch (cause) {
              // amqplib throws on a channel that closed since `usable` was read.
              confirmed(cause);
            }
          }),
        );
        if (!writable) await Promise.race([this.#drained(channel), deadline.reached]);
      }

      const outcome = await Promise.race([Promise.all(confirms).then(() => 'confirmed' as const), deadline.reached]);
      if (outcome === 'expired') {
        const cause = new Error(`RabbitMQ did not confirm within ${timeoutMs} ms`);
        for (const index of unconfirmed) {
          const message = messages[index];
          if (message) fail(message.eventId, 'not confirmed in time', cause);
        }
        unconfirmed.clear();
        this.#lose(cause);
        await this.close();
      }
    } finally {
      deadline.clear();
      this.#returned = null;
    }
    return { failed, cause: firstCause };
  }

  /** Closes the channel and the connection; never rejects, and gives up waiting after a short time. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    try {
      await withTimeout(this.connection.close(), CLOSE_TIMEOUT_MS, 'RabbitMQ did not acknowledge the close');
    } catch {
      // Already closed, or the broker does not answer: drop the socket so nothing lingers.
      (this.connection.connection as { stream?: { destroy?: () => void } }).stream?.destroy?.();
    }
  }

  async #setUp(): Promise<void> {
    const channel = await this.connection.createConfirmChannel();
    channel.on('error', (cause: Error) => this.#lose(cause));
    channel.on('close', () => {
      this.#lose(new Error('channel closed'));
      // A channel error (e.g. the exchange was deleted) leaves the connection open: close it, reopen both.
      void this.close();
    });
    channel.on('return', (message: { properties: { messageId?: unknown } }) => {
      if (typeof message.properties.messageId === 'string') this.#returned?.add(message.properties.messageId);
    });
    const { exchange, routingKey, declareExchange, durable, queue } = this.options.topology;
    if (declareExchange) await channel.assertExchange(exchange, 'topic', { durable, autoDelete: false });
    else await channel.checkExchange(exchange);
    if (queue !== null) {
      await channel.assertQueue(queue, { durable, autoDelete: false });
      await channel.bindQueue(queue, exchange, routingKey);
    }
    this.#channel = channel;
  }

  #lose(cause: unknown): void {
    if (this.#lostBecause !== null) return;
    this.#lostBecause = cause ?? new Error('connection lost');
    if (!this.#closing) this.options.onLost(this, this.#lostBecause);
  }

  #drained(channel: ConfirmChannel): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        channel.off('drain', done);
        channel.off('close', done);
        resolve();
      };
      channel.on('drain', done);
      channel.on('close', done);
    });
  }
}

interface Deadline {
  readonly reached: Promise<'expired'>;
  readonly expired: boolean;
  clear(): void;
}

function startDeadline(ms: number): Deadline {
  let timer: NodeJS.Timeout | undefined;
  let expired = false;
  const reached = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => {
      expired = true;
      resolve('expired');
    }, ms);
  });
  return {
    reached,
    get expired() {
      return expired;
    },
    clear: () => clearTimeout(timer),
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  const deadline = startDeadline(ms);
  try {
    return await Promise.race([
      promise,
      deadline.reached.then(() => {
        throw new Error(message);
      }),
    ]);
  } finally {
    deadline.clear();
  }
}

/** An error's message (amqplib's carry the broker's reply text, e.g. `NOT_FOUND - no exchange 'x'`). */
export function errorText(cause: unknown): string {
  if (cause instanceof Error) return cause.message || cause.name;
  return String(cause);
}
