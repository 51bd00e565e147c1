// A TCP proxy in front of the test PostgreSQL that can go silent: a server or network that stops answering mid-connection.
import { connect, createServer, type Socket } from 'node:net';
import { TEST_PG_URL } from './test-database.js';

export interface FreezableProxy {
  /** `TEST_PG_URL` with the proxy's host and port. */
  readonly url: string;
  /**
   * From now on everything the server sends is dropped, on every connection and new ones too;
   * what clients send still reaches it. Connections stay open: a black hole, not a reset.
   */
  freeze(): void;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (ephemeral port) and forwards each connection to the test PostgreSQL. */
export async function freezableProxy(): Promise<FreezableProxy> {
  const target = new URL(TEST_PG_URL);
  let frozen = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    track(client);
    track(upstream);
    client.on('data', (chunk) => void upstream.write(chunk));
    upstream.on('data', (chunk) => void (frozen || client.write(chunk)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  const url = new URL(TEST_PG_URL);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  return {
    url: url.href,
    freeze() {
      frozen = true;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
