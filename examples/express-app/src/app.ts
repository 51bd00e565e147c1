// The example service's Express app: versions document, Glance-compatible fixtures, and the DELETE router.
import type {
  DeleteImage,
  ImageIdFormat,
  ImageRepository,
  Logger,
  Principal,
  WritableImageDataStore,
} from '@image-catalog/core';
import type { ImageCatalog } from '@image-catalog/core/authoring';
import { createImagesRouter } from '@image-catalog/express';
import { credentialsFrom, DEFAULT_WWW_AUTHENTICATE, openApiDocument, type Authenticator, type RateLimiter } from '@image-catalog/http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createGlanceFixtureRouter, type FixtureHttp } from './glance-fixture-router.js';
import { GLANCE_SCHEMAS } from './glance-schemas.js';
import { ensureRequestId, sendFault } from './http-faults.js';
import type { ServiceMetrics } from './metrics.js';
import { versionsDocument } from './versions.js';

export interface AppDependencies {
  readonly repository: ImageRepository;
  readonly catalog: ImageCatalog;
  readonly dataStore: WritableImageDataStore;
  readonly deleteImage: Pick<DeleteImage, 'execute'>;
  readonly authenticator: Authenticator;
  readonly rateLimiter: RateLimiter | null;
  readonly overLimitStatus: 413 | 429;
  readonly logger: Logger;
  /** True while the service shuts down: new requests get 503 with Retry-After. */
  readonly isDraining: () => boolean;
  readonly idFormat?: ImageIdFormat;
  /** Served at `GET /metrics`, and told of every request of the DELETE router; none without it. */
  readonly metrics?: Pick<ServiceMetrics, 'httpHook' | 'handler'>;
}

const SHUTTING_DOWN = 'The server is shutting down. Please retry later.';
const DOCUMENT_METHODS = 'GET, HEAD, OPTIONS';

export function createApp(deps: AppDependencies): express.Express {
  const { logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // Every response carries the request id; one log line per request not logged by the DELETE pipeline.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    const requestId = ensureRequestId(req, res);
    res.on('finish', () => {
      const route = res.locals.route as string | undefined;
      if (route === undefined) return;
      const principal = res.locals.principal as Principal | undefined;
      logger.info(
        {
          method: req.method.slice(0, 32),
          route,
          status: res.statusCode,
          durationMs: Math.round((performance.now() - started) * 1000) / 1000,
          requestId,
          projectId: principal?.projectId ?? null,
          userId: principal?.userId ?? null,
        },
        'request',
      );
    });
    if (deps.isDraining() && req.method !== 'OPTIONS') {
      res.locals.route = 'draining';
      res.set('Connection', 'close');
      sendFault(req, res, 503, SHUTTING_DOWN, { 'Retry-After': '5' });
      return;
    }
    next();
  });

  const origin = (req: Request) => `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
  app.get('/', (req, res) => {
    res.locals.route = '/';
    // Glance answers its root with 300 Multiple Choices and the versions document.
    res.status(300).type('application/json').send(JSON.stringify(versionsDocument(origin(req))));
  });
  app.get('/versions', (req, res) => {
    res.locals.route = '/versions';
    res.status(200).type('application/json').send(JSON.stringify(versionsDocument(origin(req))));
  });
  app.get('/openapi.json', (_req, res) => {
    res.locals.route = '/openapi.json';
    res.status(200).type('application/json').send(JSON.stringify(openApiDocument));
  });
  const { metrics } = deps;
  if (metrics) {
    // Prometheus text format; like the documents, no token (restrict who reaches it at the network).
    app.get('/metrics', (req, res) => {
      res.locals.route = '/metrics';
      metrics.handler(req, res);
    });
  }
  // The documents are read-only: OPTIONS lists GET, other methods get 405 with Allow (no authentication needed).
  for (const path of ['/', '/versions', '/openapi.json', ...(metrics ? ['/metrics'] : [])]) {
    app.options(path, (_req, res) => {
      res.locals.route = path;
      res.status(204).set('Allow', DOCUMENT_METHODS).end();
    });
    app.all(path, (req, res) => {
      res.locals.route = path;
      sendFault(req, res, 405, `The method ${req.method.slice(0, 16)} is not allowed for this resource.`, { Allow: DOCUMENT_METHODS });
    });
  }

  const fixtureHttp: FixtureHttp = {
    async authenticate(req, res) {
      const credentials = credentialsFrom((name) => {
        const value = req.headers[name.toLowerCase()];
        return typeof value === 'string' ? value : null;
      });
      if (credentials === null) {
        sendFault(req, res, 401, 'The request you have made requires authentication.', { 'WWW-Authenticate': DEFAULT_WWW_AUTHENTICATE });
        return null;
      }
      const found = await deps.authenticator.authenticate(credentials);
      if (found.isErr()) {
        if (found.error.kind === 'StorageUnavailable') {
          sendFault(req, res, 503, 'The identity service is temporarily unavailable. Please retry later.', { 'Retry-After': String(found.error.retryAfterSeconds) });
        } else {
          logger.error({ err: found.error.cause ?? found.error }, 'authenticator failed');
          sendFault(req, res, 500, 'The server has either erred or is incapable of performing the requested operation.');
        }
        return null;
      }
      if (found.value === null) {
        sendFault(req, res, 401, 'The request you have made requires authentication.', { 'WWW-Authenticate': DEFAULT_WWW_AUTHENTICATE });
        return null;
      }
      res.locals.principal = found.value;
      return found.value;
    },
    sendFault,
  };

  const v2 = express.Router({ caseSensitive: true });
  v2.use((req, res, next) => {
    // The route template for the log line, set before any handler answers.
    res.locals.route = `/v2${req.route?.path ?? templateOf(req.path)}`;
    next();
  });
  v2.get(['/', ''], (req, res) => {
    res.status(200).type('application/json').send(JSON.stringify(versionsDocument(origin(req))));
  });
  // Public documents (as in Glance they describe the API, not any image): no token needed.
  v2.get('/schemas/:name', (req, res) => {
    res.locals.route = '/v2/schemas/{name}';
    const schema = Object.hasOwn(GLANCE_SCHEMAS, String(req.params.name)) ? GLANCE_SCHEMAS[String(req.params.name)] : undefined;
    if (schema === undefined) {
      sendFault(req, res, 404, 'The resource could not be found.');
      return;
    }
    res.status(200).type('application/json').send(JSON.stringify(schema));
  });
  v2.use(
    createGlanceFixtureRouter({
      repository: deps.repository,
      catalog: deps.catalog,
      dataStore: deps.dataStore,
      http: fixtureHttp,
      logger,
      ...(deps.idFormat ? { idFormat: deps.idFormat } : {}),
    }),
  );
  v2.use((req, res, next) => {
    // The DELETE pipeline logs its own line.
    delete res.locals.route;
    next();
  });
  v2.use(
    createImagesRouter({
      deleteImage: deps.deleteImage,
      authenticator: deps.authenticator,
      rateLimiter: deps.rateLimiter,
      overLimitStatus: deps.overLimitStatus,
      logger,
      isDraining: deps.isDraining,
      hostMethods: ['GET', 'PATCH'],
      metrics: deps.metrics?.httpHook ?? null,
    }),
  );
  app.use('/v2', v2);

  // Anything else: a 404 fault in the negotiated format.
  app.use((req, res) => {
    res.locals.route = 'unmatched';
    sendFault(req, res, 404, 'The resource could not be found.');
  });
  // Errors Express itself raises (malformed URLs, aborted bodies) are the client's: 400, never a stack trace.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    res.locals.route ??= 'error';
    const status = (error as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendFault(req, res, status === 413 ? 413 : 400, status === 413 ? 'Request body too large.' : 'The request could not be parsed.');
      return;
    }
    logger.error({ err: error, method: req.method.slice(0, 32) }, 'unhandled error');
    sendFault(req, res, 500, 'The server has either erred or is incapable of performing the requested operation.');
  });
  return app;
}

/** A low-cardinality route for the log line: ids replaced by a placeholder. */
function templateOf(path: string): string {
  return path
    .split('/')
    .map((segment, i) => (i === 2 && segment !== '' ? '{image_id}' : segment))
    .join('/')
    .slice(0, 128);
}
