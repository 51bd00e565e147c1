// The public documents (no token, as in Glance): the versions document, the OpenAPI document of DELETE, Glance's JSON schemas, and /metrics.
import { openApiDocument, toFault } from '@image-catalog/http';
import express, { type Request, type Response, type Router } from 'express';
import { GLANCE_SCHEMAS } from './glance-schemas.js';
import { contextOf, sendFault } from './request-context.js';
import { versionsDocument } from './versions.js';

const DOCUMENT_METHODS = 'GET, HEAD, OPTIONS';

function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

const origin = (req: Request) => `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;

/** `metrics`: serves `GET /metrics` (Prometheus text; like the documents, no token: restrict who reaches it at the network). */
export function createDocumentsRouter(metrics?: (req: Request, res: Response) => void): Router {
  const router = express.Router({ caseSensitive: true });
  const documents: readonly (readonly [path: string, status: number, body: (req: Request) => unknown])[] = [
    // Glance answers its root with 300 Multiple Choices and the versions document.
    ['/', 300, (req) => versionsDocument(origin(req))],
    ['/versions', 200, (req) => versionsDocument(origin(req))],
    ['/openapi.json', 200, () => openApiDocument],
  ];
  // Read-only: OPTIONS lists GET, other methods get 405 with Allow.
  for (const [path, status, body] of documents) {
    router.get(path, (req, res) => sendJson(res, status, body(req)));
    router.options(path, (_req, res) => void res.status(204).set('Allow', DOCUMENT_METHODS).end());
    router.all(path, (req, res) => sendFault(req, res, toFault({ kind: 'MethodNotAllowed' }, { allow: DOCUMENT_METHODS })));
  }
  if (metrics !== undefined) {
    router.get('/metrics', (req, res) => {
      contextOf(req, res).route = '/metrics';
      metrics(req, res);
    });
    router.options('/metrics', (_req, res) => void res.status(204).set('Allow', DOCUMENT_METHODS).end());
    router.all('/metrics', (req, res) => sendFault(req, res, toFault({ kind: 'MethodNotAllowed' }, { allow: DOCUMENT_METHODS })));
  }
  router.get('/v2', (req, res) => sendJson(res, 200, versionsDocument(origin(req))));
  router.get('/v2/schemas/:name', (req, res) => {
    contextOf(req, res).route = '/v2/schemas/{name}';
    const name = String(req.params.name);
    if (!Object.hasOwn(GLANCE_SCHEMAS, name)) return sendFault(req, res, toFault({ kind: 'RouteNotFound' }));
    sendJson(res, 200, GLANCE_SCHEMAS[name]);
  });
  return router;
}
