// A loopback TCP proxy to the test broker that can hold back either direction and cut connections: failures at a moment the test chooses.
import net, { type AddressInfo, type Socket } from 'node:net';

/** `requests`: client → broker; `replies`: broker → client (confirms, close frames). */
export type Direction = 'requests' | 'replies';

/** Bytes held back in one direction; `null` marks the end of that stream. */
type Held = (Buffer | null)[];

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly held: Record<Direction, Held>;
}

export class TcpProxy {
  readonly #pairs = new Set<Pair>();
  readonly #holding: Record<Direction, boolean> = { requests: false, replies: false };

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1 at an ephemeral port and forwards every connection to `target`'s host and port. */
  static async start(target: string): Promise<TcpProxy> {
    const url = new URL(target);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    server.on('connection', (client) => proxy.#forward(client, url.hostname, Number(url.port || 5672)));
    return proxy;
  }

  /** `target` with host and port replaced by the proxy's. */
  urlFor(target: string): string {
    const url = new URL(target);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  get connections(): number {
    return this.#pairs.size;
  }

  /** From now on, bytes in `direction` are buffered instead of forwarded (for every connection, new ones too). */
  hold(direction: Direction): void {
    this.#holding[direction] = true;
  }

  /** Forwards what was held in `direction`, in order, and forwards again. */
  release(direction: Direction): void {
    this.#holding[direction] = false;
    for (const pair of this.#pairs) this.#flush(pair, direction);
  }

  /** Destroys every proxied connection, both sides, dropping whatever was held: a network failure. */
  cut(): void {
    for (const pair of [...this.#pairs]) this.#drop(pair);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #forward(client: Socket, host: string, port: number): void {
    const upstream = net.connect(port, host);
    const pair: Pair = { client, upstream, held: { requests: [], replies: [] } };
    this.#pairs.add(pair);
    const ended: Record<Direction, boolean> = { requests: false, replies: false };
    const relay = (direction: Direction, chunk: Buffer | null) => {
      pair.held[direction].push(chunk);
      if (!this.#holding[direction]) this.#flush(pair, direction);
    };
    // A side that ends (or breaks) is passed on as an end, after what was held before it.
    const end = (direction: Direction) => {
      if (ended[direction]) return;
      ended[direction] = true;
      relay(direction, null);
      if (ended.requests && ended.replies) this.#pairs.delete(pair);
    };
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('data', (chunk: Buffer) => relay('requests', chunk));
    upstream.on('data', (chunk: Buffer) => relay('replies', chunk));
    for (const event of ['end', 'close']) {
      client.on(event, () => end('requests'));
      upstream.on(event, () => end('replies'));
    }
  }

  #flush(pair: Pair, direction: Direction): void {
    const to = direction === 'requests' ? pair.upstream : pair.client;
    for (const chunk of pair.held[direction].splice(0)) {
      if (to.destroyed) return;
      if (chunk === null) to.end();
      else to.write(chunk);
    }
  }

  #drop(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return;
    pair.held.requests.length = 0;
    pair.held.replies.length = 0;
    pair.client.destroy();
    pair.upstream.destroy();
  }
}
