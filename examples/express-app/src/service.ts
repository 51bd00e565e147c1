// Builds and runs the example service: storage, use cases, scrubber, outbox relay, HTTP server, graceful shutdown.
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  imageCatalogCoreModule,
  resolve,
  TOKENS,
  type EventPublisher,
  type Logger,
  type WritableImageDataStore,
} from '@image-catalog/core';
import { CallbackEventPublisher, type OutboxRelay, type Scrubber } from '@image-catalog/core/workers';
import { FileImageDataStore, JsonLinesEventPublisher } from '@image-catalog/filesystem';
import { createClientErrorListener, StaticTokenAuthenticator } from '@image-catalog/http';
import { Container } from 'inversify';
import { createApp } from './app.js';
import type { ServiceConfig } from './config.js';
import { createServiceMetrics } from './metrics.js';
import { openStorage, type OpenedStorage } from './storage.js';

export interface RunningService {
  /** `http://host:port` the service listens on (the real port when `PORT=0`). */
  readonly url: string;
  readonly server: Server;
  readonly container: Container;
  /** Stops accepting, answers 503 while in-flight requests finish, then closes everything. */
  stop(): Promise<void>;
}

/** Replacements for what the settings would build; for tests that inject faults (e.g. a failing data store). */
export interface ServiceOverrides {
  /** Used instead of the file store under `<data dir>/images` for uploads and data deletion. */
  readonly dataStore?: WritableImageDataStore;
}

/** The container with every port and use case the service uses; also used by the one-shot scrubber. */
export async function buildContainer(
  config: ServiceConfig,
  logger: Logger,
  overrides: ServiceOverrides = {},
): Promise<{ container: Container; storage: OpenedStorage; dataStore: WritableImageDataStore }> {
  const storage = await openStorage(config, logger);
  const container = new Container();
  // Everything the service needs exists after the first start (behaviour.md §11).
  mkdirSync(config.imagesDir, { recursive: true });
  const dataStore = overrides.dataStore ?? new FileImageDataStore({ root: config.imagesDir });
  container.bind(TOKENS.Logger).toConstantValue(logger);
  container.bind(TOKENS.ImageDataStore).toConstantValue(dataStore);
  container.bind(TOKENS.DeleteImageOptions).toConstantValue({
    delayedDelete: config.delayedDelete,
    inlineLeaseSeconds: config.inlineLeaseSeconds,
  });
  container.bind(TOKENS.ScrubberOptions).toConstantValue({ leaseSeconds: config.scrubLeaseSeconds });
  // A publish is abandoned well before its lease runs out, so one slow publish is not offered twice.
  container.bind(TOKENS.OutboxRelayOptions).toConstantValue({ leaseSeconds: config.relayLeaseSeconds, publishTimeoutMs: Math.min(30_000, config.relayLeaseSeconds * 500) });
  const publisher: EventPublisher = config.eventsFile
    ? new JsonLinesEventPublisher({ path: config.eventsFile })
    : new CallbackEventPublisher((event) => logger.info({ eventId: event.id, type: event.type, imageId: event.imageId }, 'event delivered (no IMAGE_CATALOG_EVENTS_FILE: logged only)'));
  container.bind(TOKENS.EventPublisher).toConstantValue(publisher);
  container.load(storage.module, imageCatalogCoreModule);
  return { container, storage, dataStore };
}

export async function startService(config: ServiceConfig, logger: Logger, overrides: ServiceOverrides = {}): Promise<RunningService> {
  const { container, storage, dataStore } = await buildContainer(config, logger, overrides);
  const scrubber: Scrubber = resolve(container, TOKENS.Scrubber);
  const relay: OutboxRelay = resolve(container, TOKENS.OutboxRelay);

  let draining = false;
  const metrics = createServiceMetrics({
    jobs: resolve(container, TOKENS.DataDeletionJobQueue),
    outbox: resolve(container, TOKENS.EventOutbox),
    clock: resolve(container, TOKENS.Clock),
    logger,
  });
  const app = createApp({
    repository: resolve(container, TOKENS.ImageRepository),
    catalog: resolve(container, TOKENS.ImageCatalog),
    dataStore,
    deleteImage: resolve(container, TOKENS.DeleteImage),
    authenticator: new StaticTokenAuthenticator(config.tokens),
    rateLimiter: storage.rateLimiter,
    overLimitStatus: config.rateLimit?.status ?? 413,
    logger,
    isDraining: () => draining,
    metrics,
  });

  const server = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 300_000, headersTimeout: 20_000 }, app);
  server.on('clientError', createClientErrorListener());
  // node:http answers an `Expect` other than 100-continue with a bare 417 (no request id, not a documented
  // code); the app serves such requests as if the expectation were absent, which RFC 9110 allows.
  server.on('checkExpectation', app);
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  // Both loops run at once on start, so work left over from before a restart is picked up immediately.
  scrubber.start({ intervalMs: config.scrubIntervalSeconds * 1000 });
  relay.start({ intervalMs: 1000 });
  // Dead-lettered jobs keep image data that should be gone: say so at every start until an operator requeues them.
  void scrubber.counts().map(({ dead }) => {
    if (dead > 0) logger.error({ dead }, `${dead} dead-lettered data-deletion job(s): image data is left behind; fix the data store, then run \`pnpm scrub --requeue-dead\``);
  });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      logger.info({ graceSeconds: config.shutdownGraceSeconds }, 'shutting down: draining in-flight requests');
      const closed = new Promise<void>((done) => server.close(() => done()));
      server.closeIdleConnections();
      const grace = new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), config.shutdownGraceSeconds * 1000).unref());
      if ((await Promise.race([closed, grace])) === 'timeout') {
        logger.warn({}, 'grace period over: closing remaining connections');
        server.closeAllConnections();
        await closed;
      }
      await Promise.all([scrubber.stop(), relay.stop()]);
      // Deliver what the last requests wrote, so a clean stop leaves nothing pending.
      await relay.runOnce();
      await storage.close();
      logger.info({}, 'stopped');
    })());

  logger.info(
    { url, storage: storage.description, images: config.imagesDir, delayedDelete: config.delayedDelete, rateLimit: config.rateLimit, eventsFile: config.eventsFile },
    `listening on ${url}`,
  );
  return { url, server, container, stop };
}
