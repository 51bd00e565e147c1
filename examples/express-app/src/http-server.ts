// The node:http server around the Express app: its limits, client errors as faults, listening, and a close bounded by a grace period.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@image-catalog/core';
import { createClientErrorListener, createConnectListener, guardNodeListener } from '@image-catalog/http';

/** Listens on `host:port` (`port` 0: any free one) and answers the URL it got. */
export async function listen(
  app: RequestListener,
  { host, port }: { host: string; port: number },
): Promise<{ server: Server; url: string }> {
  // The guard answers a request without a usable Host itself (a 400 fault, not node's bare 400), and
  // runs a connection's pipelined requests that change state in order.
  const guarded = guardNodeListener(app);
  const server = createServer(
    { requireHostHeader: false, maxHeaderSize: 16 * 1024, requestTimeout: 300_000, headersTimeout: 20_000 },
    guarded,
  );
  server.on('clientError', createClientErrorListener());
  server.on('connect', createConnectListener());
  // node:http answers an `Expect` other than 100-continue with a bare 417 (no request id, not a documented
  // code); the app serves such requests as if the expectation were absent, which RFC 9110 allows.
  server.on('checkExpectation', guarded);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${shown}:${address.port}` };
}

/** Stops accepting, lets requests in flight finish for up to `graceSeconds`, then closes what is left. */
export async function closeServer(server: Server, graceSeconds: number, logger: Logger): Promise<void> {
  const closed = new Promise<void>((done) => server.close(() => done()));
  server.closeIdleConnections();
  const grace = new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), graceSeconds * 1000).unref());
  if ((await Promise.race([closed, grace])) === 'timeout') {
    logger.warn({}, 'grace period over: closing remaining connections');
    server.closeAllConnections();
    await closed;
  }
}
