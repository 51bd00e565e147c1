// For a describe block whose tests each start their own loopback servers: every one is closed after its test.
import type { Server } from 'node:http';
import { afterEach } from 'vitest';
import { listenOnLoopback, type LoopbackServer } from './loopback-server.js';

/** Registers an `afterEach` in the calling describe block; answers a `listenOnLoopback` whose servers it closes. */
export function listenOnLoopbackPerTest(): (server: Server) => Promise<LoopbackServer> {
  const started: LoopbackServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  return async (server) => {
    const listening = await listenOnLoopback(server);
    started.push(listening);
    return listening;
  };
}
