// The example service, top-down: storage → the catalog (use cases, background work) → HTTP → start, and a graceful stop.
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { systemClock, type Logger, type WritableImageDataStore } from '@image-catalog/core';
import { FileImageDataStore } from '@image-catalog/filesystem';
import { createImageCatalog, StaticTokenAuthenticator, tokenIdentity } from '@image-catalog/http';
import { createApp } from './app.js';
import type { ServiceConfig } from './config.js';
import { reportDeadJobs } from './dead-jobs.js';
import { openEventPublisher } from './event-publisher.js';
import { createServiceMetrics } from './metrics.js';
import { closeServer, listen } from './http-server.js';
import { openStorage } from './storage.js';
import { createTempFileSweeper } from './temp-file-sweeper.js';

/** For tests that inject faults: a data store used instead of the file store under `<data dir>/images`. */
export interface ServiceOverrides {
  readonly dataStore?: WritableImageDataStore;
}

/** Storage, data store, event publisher and the catalog over them; nothing runs yet. `pnpm scrub` uses it too. */
export async function openCatalog(config: ServiceConfig, logger: Logger, overrides: ServiceOverrides = {}) {
  const storage = await openStorage(config, logger);
  mkdirSync(config.imagesDir, { recursive: true }); // everything the service needs exists after the first start
  const dataStore = overrides.dataStore ?? new FileImageDataStore({ root: config.imagesDir });
  const events = openEventPublisher(config, logger);
  const catalog = createImageCatalog({
    storage,
    dataStore,
    publisher: events?.publisher ?? null,
    logger,
    deleteImage: { delayedDelete: config.delayedDelete, inlineLeaseSeconds: config.inlineLeaseSeconds },
    scrubber: { leaseSeconds: config.scrubLeaseSeconds, intervalMs: config.scrubIntervalSeconds * 1000 },
    // A publish is abandoned well before its lease runs out, so one slow publish is not offered twice.
    relay: { leaseSeconds: config.relayLeaseSeconds, publishTimeoutMs: Math.min(30_000, config.relayLeaseSeconds * 500), intervalMs: 1000 },
    drainTimeoutMs: config.shutdownGraceSeconds * 1000,
  });
  /** After `catalog.stop()`: closes the publisher, then the database. */
  const close = async () => {
    await events?.close();
    await storage.close();
  };
  // Temp files of uploads a crash interrupted; another kind of data store given as an override cleans up after itself.
  const tempFiles = dataStore instanceof FileImageDataStore ? createTempFileSweeper(dataStore, config.tempFileGraceSeconds, logger) : null;
  return { storage, dataStore, catalog, tempFiles, events: events?.description ?? null, close };
}

/** `catalog`: use cases, workers (`scrubber`, `relay`), `pipeline`, `start()` / `stop()`; `events`: where events go, or `null`. */
export type OpenedCatalog = Awaited<ReturnType<typeof openCatalog>>;

export interface RunningService extends Omit<OpenedCatalog, 'close'> {
  /** `http://host:port` (the real port when `PORT=0`). */
  readonly url: string;
  readonly server: Server;
  /** 503 from now on; requests in flight finish (up to the grace period), pending events go out, everything closes. */
  stop(): Promise<void>;
}

export async function startService(config: ServiceConfig, logger: Logger, overrides: ServiceOverrides = {}): Promise<RunningService> {
  // 1. Storage, and the catalog over it.
  const { close, ...opened } = await openCatalog(config, logger, overrides);
  const { storage, catalog, tempFiles } = opened;
  // Before listening: what a crash left behind goes now (uploads still in flight elsewhere are spared by the grace period).
  await tempFiles?.sweepOnce();
  const metrics = createServiceMetrics({ jobs: storage.jobs, outbox: storage.outbox, clock: systemClock, logger });

  // 2. HTTP: versions documents, /metrics, the Glance fixture routes and our DELETE router with `catalog.pipeline`.
  const identify = tokenIdentity(new StaticTokenAuthenticator(config.tokens));
  const overLimitStatus = config.rateLimit?.status ?? 413;
  const { imageSizeCapBytes } = config;
  const app = createApp({
    storage,
    dataStore: opened.dataStore,
    pipeline: catalog.pipeline,
    identify,
    overLimitStatus,
    logger,
    metrics,
    imageSizeCapBytes,
  });
  const { server, url } = await listen(app, config);

  // 3. Background work: scrubber and relay run at once, so work left from before a restart is picked up now.
  catalog.start();
  tempFiles?.start(config.scrubIntervalSeconds * 1000);
  void catalog.scrubber.counts().map(({ dead }) => reportDeadJobs(logger, dead));

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info({ graceSeconds: config.shutdownGraceSeconds }, 'shutting down: draining in-flight requests');
      const drained = catalog.stop(); // 503 from here on; deletes in flight finish, the loops stop, pending events go out
      tempFiles?.stop();
      await closeServer(server, config.shutdownGraceSeconds, logger);
      await drained;
      await close();
      logger.info({}, 'stopped');
    })());

  const { delayedDelete, rateLimit, quotas, imagesDir: images } = config;
  logger.info(
    { url, storage: storage.description, images, events: opened.events, delayedDelete, rateLimit, quotas },
    `listening on ${url}`,
  );
  return { ...opened, url, server, stop };
}
