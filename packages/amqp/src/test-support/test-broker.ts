// The test RabbitMQ: where it is, whether it answers, and throw-away exchanges with a consumer bound to them.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';

/** The test broker; CI and developers point it elsewhere with IMAGE_CATALOG_TEST_AMQP_URL. */
export const TEST_AMQP_URL = process.env['IMAGE_CATALOG_TEST_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

async function probe(): Promise<string | null> {
  try {
    const connection = await connect(TEST_AMQP_URL, { timeout: 3_000 });
    connection.on('error', () => {});
    await connection.close();
    return null;
  } catch (cause) {
    return cause instanceof Error ? cause.message || cause.name : String(cause);
  }
}

/** `null` when the test broker answers; otherwise why not. Computed once per test file. */
export const brokerUnreachable: string | null = await probe();

if (brokerUnreachable !== null) {
  console.warn(
    `\n[@image-catalog/amqp] SKIPPING RabbitMQ tests: cannot reach ${TEST_AMQP_URL} (${brokerUnreachable}). Set IMAGE_CATALOG_TEST_AMQP_URL to run them.\n`,
  );
}

/** Suite title suffix that says, in the report, why a suite was skipped. */
export const skipNote = brokerUnreachable === null ? '' : ` (SKIPPED: RabbitMQ unreachable at ${TEST_AMQP_URL})`;

/** A name no other test (or test run) uses. */
export function uniqueName(prefix: string): string {
  return `ic-test-${prefix}-${randomBytes(6).toString('hex')}`;
}

export interface Received {
  readonly message: ConsumeMessage;
  readonly messageId: string;
  readonly body: unknown;
}

/**
 * A topic exchange and a queue bound to it with a routing key, consumed on a connection of its
 * own; `close()` deletes both. The queue is declared before anything is published, so nothing
 * routed to it is missed.
 */
export class TestConsumer {
  readonly received: Received[] = [];
  #sentinels = new Set<string>();

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    readonly exchange: string,
    readonly queue: string,
    readonly routingKey: string,
  ) {}

  static async open({
    exchange = uniqueName('exchange'),
    routingKey = 'notifications.info',
    durable = true,
  }: { exchange?: string; routingKey?: string; durable?: boolean } = {}): Promise<TestConsumer> {
    const connection = await connect(TEST_AMQP_URL, { timeout: 3_000 });
    connection.on('error', () => {});
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    const queue = uniqueName('queue');
    await channel.assertExchange(exchange, 'topic', { durable, autoDelete: false });
    await channel.assertQueue(queue, { durable: true, autoDelete: false });
    await channel.bindQueue(queue, exchange, routingKey);
    const consumer = new TestConsumer(connection, channel, exchange, queue, routingKey);
    await channel.consume(queue, (message) => message && consumer.#take(message), { noAck: true });
    return consumer;
  }

  /** Received message ids, in arrival order (duplicates included). */
  ids(): string[] {
    return this.received.map((r) => r.messageId);
  }

  /** Waits until at least `count` messages arrived; fails with what did arrive otherwise. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<Received[]> {
    const until = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > until) throw new Error(`expected ${count} messages, received ${this.received.length} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.received;
  }

  /**
   * Waits until everything already in the queue has been received: sends a sentinel through the
   * same queue and waits for it (a queue delivers in order). Sentinels are not recorded.
   */
  async drain(timeoutMs = 10_000): Promise<Received[]> {
    const sentinel = `sentinel-${randomBytes(6).toString('hex')}`;
    this.#sentinels.add(sentinel);
    this.channel.sendToQueue(this.queue, Buffer.from('{}'), { messageId: sentinel });
    const until = Date.now() + timeoutMs;
    while (this.#sentinels.has(sentinel)) {
      if (Date.now() > until) throw new Error(`the queue did not drain within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.received;
  }

  /** Unbinds the queue: messages published from now on are unroutable. */
  async unbind(): Promise<void> {
    await this.channel.unbindQueue(this.queue, this.exchange, this.routingKey);
  }

  async bind(): Promise<void> {
    await this.channel.bindQueue(this.queue, this.exchange, this.routingKey);
  }

  /** Deletes the queue and the exchange (and any queue the publisher declared), then disconnects. */
  async close(alsoDeleteQueues: readonly string[] = []): Promise<void> {
    try {
      await this.channel.deleteQueue(this.queue);
      for (const queue of alsoDeleteQueues) await this.channel.deleteQueue(queue);
      await this.channel.deleteExchange(this.exchange);
    } finally {
      await this.connection.close().catch(() => undefined);
    }
  }

  #take(message: ConsumeMessage): void {
    const messageId = String(message.properties.messageId);
    if (this.#sentinels.delete(messageId)) return;
    this.received.push({ message, messageId, body: JSON.parse(message.content.toString('utf8')) });
  }
}

/** Runs `fn` on a short-lived channel of its own (to delete or inspect things behind the publisher's back). */
export async function withAdminChannel<T>(fn: (channel: Channel) => Promise<T>): Promise<T> {
  const connection = await connect(TEST_AMQP_URL, { timeout: 3_000 });
  connection.on('error', () => {});
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    return await fn(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

const run = promisify(execFile);

/** `null` when `rabbitmqctl` can list the broker's connections here; otherwise why not. */
export async function rabbitmqctlUnusable(): Promise<string | null> {
  try {
    await run('rabbitmqctl', ['-q', 'list_connections', 'pid'], { timeout: 20_000 });
    return null;
  } catch (cause) {
    return cause instanceof Error ? (cause.message.split('\n')[0] ?? cause.message) : String(cause);
  }
}

/** Closes, on the broker's side, every connection whose client-provided name is `connectionName`; answers how many. */
export async function forceCloseConnections(connectionName: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['-q', '--no-table-headers', 'list_connections', 'pid', 'client_properties'], {
    timeout: 20_000,
  });
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${connectionName}"}`))
    .map((line) => line.split('\t')[0] ?? '')
    .filter((pid) => pid.startsWith('<'));
  for (const pid of pids)
    await run('rabbitmqctl', ['-q', 'close_connection', pid, 'image-catalog test: forced close'], { timeout: 20_000 });
  return pids.length;
}
