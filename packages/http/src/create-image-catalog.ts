// The front door: one call gives the use cases, the HTTP pipeline and start()/stop() for the background work.
import {
  createImageCatalogCore,
  type DeleteImageCommand,
  type DeleteImageFailure,
  type ImageCatalogCore,
  type ImageCatalogCoreOptions,
  type ImageDeleted,
} from '@image-catalog/core';
import { ResultAsync } from 'neverthrow';
import {
  createImagesHandler,
  type DeleteImageExecutor,
  type IdentityOptions,
  type ImagesHandler,
  type ImagesPipelineOptions,
} from './images-handler.js';

export interface ImageCatalogOptions extends ImageCatalogCoreOptions {
  /**
   * How long `stop()` waits for deletes in flight before it stops the background work anyway
   * (default 10 000 ms). New requests get 503 + Retry-After from the moment `stop()` is called.
   */
  readonly drainTimeoutMs?: number;
}

/** What every HTTP entry of one catalog shares: spread it into `createImagesHandler` or `createImagesRouter` options. */
export interface ImageCatalogPipeline {
  /** The catalog's `DeleteImage`, counted so `stop()` can wait for deletes in flight. */
  readonly deleteImage: DeleteImageExecutor;
  /** True from the moment `stop()` is called: requests then get 503 with Retry-After. */
  readonly isDraining: () => boolean;
}

export interface ImageCatalogService extends ImageCatalogCore {
  readonly pipeline: ImageCatalogPipeline;
  /** A Fetch handler over this catalog: `pipeline` plus your identity, base path, limiter, logger… */
  handler<Source = unknown>(
    options: Omit<ImagesPipelineOptions, 'deleteImage' | 'isDraining'> & IdentityOptions<Source>,
  ): ImagesHandler<Source>;
  /**
   * Graceful stop: answers new requests 503, waits for deletes in flight (up to
   * `drainTimeoutMs`), stops the scrubber and the relay, then delivers pending events once more.
   */
  stop(): Promise<void>;
}

/**
 * ```ts
 * const catalog = createImageCatalog({ storage, dataStore, publisher });
 * app.use('/v2', createImagesRouter({ ...catalog.pipeline, identify })); // or catalog.handler({ identify, basePath: '/v2' })
 * catalog.start();
 * process.on('SIGTERM', () => void catalog.stop().then(() => server.close()));
 * ```
 */
export function createImageCatalog(options: ImageCatalogOptions): ImageCatalogService {
  const core = createImageCatalogCore(options);
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;

  const deleteImage: DeleteImageExecutor = {
    execute(command: DeleteImageCommand): ResultAsync<ImageDeleted, DeleteImageFailure> {
      inFlight++;
      const settled = core.deleteImage.execute(command);
      const done = () => {
        inFlight--;
        if (inFlight === 0) idle?.();
      };
      return new ResultAsync(Promise.resolve(settled).finally(done));
    },
  };
  const pipeline: ImageCatalogPipeline = { deleteImage, isDraining: () => draining };

  const waitForIdle = () =>
    new Promise<void>((resolve) => {
      if (inFlight === 0) return resolve();
      const timer = setTimeout(resolve, drainTimeoutMs);
      timer.unref?.();
      idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  return {
    ...core,
    pipeline,
    handler: (handlerOptions) => createImagesHandler({ ...handlerOptions, ...pipeline }),
    async stop() {
      draining = true;
      await waitForIdle();
      idle = null;
      await core.stop();
    },
  };
}
