// The example service's Express app: request ids and the request log, the draining gate, documents, the Glance fixture routes, our DELETE router.
import {
  DEFAULT_RETRY_AFTER_SECONDS,
  type ImageIdFormat,
  type ImageRepository,
  type Logger,
  type WritableImageDataStore,
} from '@image-catalog/core';
import type { ImageCatalog } from '@image-catalog/core/authoring';
import { createImagesRouter, type ExpressIdentityResolver } from '@image-catalog/express';
import { hostFault, toFault, type ImageCatalogPipeline, type RateLimiter } from '@image-catalog/http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createDocumentsRouter } from './documents.js';
import type { ServiceMetrics } from './metrics.js';
import { createGlanceFixtureRouter } from './fixtures/glance-fixture-router.js';
import { contextOf, requestContext, sendFault } from './request-context.js';

export interface AppDependencies {
  /** `findById` and authoring for the fixture routes, and the rate limiter for DELETE. */
  readonly storage: { readonly images: ImageRepository; readonly catalog: ImageCatalog; readonly rateLimiter: RateLimiter | null };
  readonly dataStore: WritableImageDataStore;
  /** `catalog.pipeline`: the catalog's counted `deleteImage` and its draining switch. */
  readonly pipeline: ImageCatalogPipeline;
  /** Who is calling, for DELETE and the fixture routes alike. */
  readonly identify: ExpressIdentityResolver;
  readonly overLimitStatus: 413 | 429;
  readonly logger: Logger;
  readonly idFormat?: ImageIdFormat;
  /** Largest image data accepted on upload (`IMAGE_CATALOG_IMAGE_SIZE_CAP`; default 1 TiB). */
  readonly imageSizeCapBytes?: number;
  /** Served at `GET /metrics`, and told of every request of the DELETE router; none without it. */
  readonly metrics?: Pick<ServiceMetrics, 'httpHook' | 'handler'>;
}

export function createApp(deps: AppDependencies): express.Express {
  const { pipeline, identify, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestContext(logger));
  // The one draining check: from `catalog.stop()` on, all but OPTIONS get 503 + Retry-After + Connection: close.
  app.use((req, res, next) => {
    if (req.method === 'OPTIONS' || !pipeline.isDraining()) return next();
    contextOf(req, res).route = 'draining';
    sendFault(req, res, toFault({ kind: 'Draining', retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS }));
  });

  const { images, catalog, rateLimiter } = deps.storage;
  const fixtures = createGlanceFixtureRouter({
    images,
    catalog,
    dataStore: deps.dataStore,
    identify,
    logger,
    ...(deps.idFormat ? { idFormat: deps.idFormat } : {}),
    ...(deps.imageSizeCapBytes !== undefined ? { imageSizeCapBytes: deps.imageSizeCapBytes } : {}),
  });
  const pipelineLogsItself = (req: Request, res: Response, next: NextFunction) => {
    contextOf(req, res).route = null;
    next();
  };
  const deleteRouter = createImagesRouter({
    ...pipeline,
    identify,
    rateLimiter,
    overLimitStatus: deps.overLimitStatus,
    logger,
    hostMethods: ['GET', 'PATCH'],
    ...(deps.metrics ? { metrics: deps.metrics.httpHook } : {}),
  });
  // DELETE goes to the library's router first, so the hot path walks neither the documents nor the fixture routes; what
  // it does not serve (a DELETE on another path) goes on to them, and to the 404 below. Every other method meets them first.
  const deleteFirst = (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'DELETE') return next();
    const context = contextOf(req, res);
    const route = context.route;
    context.route = null;
    deleteRouter(req, res, (error?: unknown) => {
      context.route = route;
      next(error);
    });
  };
  app.use('/v2', deleteFirst);
  app.use(createDocumentsRouter(deps.metrics?.handler));
  app.use('/v2', fixtures, pipelineLogsItself, deleteRouter);

  // Anything else: a 404 fault in the negotiated format.
  app.use((req, res) => {
    contextOf(req, res).route = 'unmatched';
    sendFault(req, res, toFault({ kind: 'RouteNotFound' }));
  });
  // Errors Express raises (malformed URLs, aborted bodies) are the client's: 400, or 413 for a body too large. Anything else: 500, cause logged.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const context = contextOf(req, res);
    if (context.route === null) context.route = 'error'; // the pipeline's request: it did not get to log it
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendFault(
        req,
        res,
        status === 413 ? hostFault(413, 'Request body too large.') : toFault({ kind: 'MalformedRequest', reason: 'Unparseable' }),
      );
      return;
    }
    context.cause = error;
    sendFault(req, res, toFault({ kind: 'InternalError' }));
  });
  return app;
}
