// What the example's own routes share per request: the request id, one log line, faults rendered exactly as the DELETE pipeline renders them.
import type { Logger, Principal } from '@image-catalog/core';
import {
  negotiateFaultFormat,
  renderFault,
  REQUEST_ID_HEADER,
  requestIdFor,
  writeNodeReply,
  type Fault,
  type HostFault,
} from '@image-catalog/http';
import type { Request, RequestHandler, Response } from 'express';

export interface RequestContext {
  readonly requestId: string;
  /**
   * The route for the log line; `null` for requests the DELETE pipeline logs itself; `undefined`:
   * the template of the path the request came in on, worked out only if the line is written.
   */
  route: string | null | undefined;
  /** The path the request came in on (routers below a mount point rewrite `req.path`). */
  readonly path: string;
  principal: Principal | null;
  /** Why a 5xx happened: logged with the request, never sent. */
  cause?: unknown;
}

/** A low-cardinality route for the log line: the image id replaced by a placeholder. */
function routeTemplate(path: string): string {
  return path.replace(/^(\/v2\/images\/)[^/]+/, '$1{image_id}').slice(0, 128);
}

/**
 * This request's context, created on first use. An incoming `req-<uuid>` id is kept, anything
 * else replaced; the request header is rewritten too, so the DELETE pipeline uses the same id.
 */
export function contextOf(req: Request, res: Response): RequestContext {
  const existing = res.locals.context as RequestContext | undefined;
  if (existing !== undefined) return existing;
  const requestId = requestIdFor(req.headers[REQUEST_ID_HEADER] as string | undefined);
  req.headers[REQUEST_ID_HEADER] = requestId;
  res.setHeader(REQUEST_ID_HEADER, requestId);
  const context: RequestContext = { requestId, route: undefined, path: req.path, principal: null };
  res.locals.context = context;
  return context;
}

/** First in the app: the request id on every answer, and one log line per request, like the pipeline's own. */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const context = contextOf(req, res);
    res.on('finish', () => {
      if (context.route === null) return;
      const entry = {
        method: req.method.slice(0, 32),
        route: context.route ?? routeTemplate(context.path),
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        requestId: context.requestId,
        projectId: context.principal?.projectId ?? null,
        userId: context.principal?.userId ?? null,
      };
      if (res.statusCode >= 500 && context.cause !== undefined)
        logger[res.statusCode === 500 ? 'error' : 'warn']({ ...entry, err: context.cause }, 'request failed');
      else logger.info(entry, 'request');
    });
    next();
  };
}

/** Sends a fault (`toFault` for the pipeline's failures, `hostFault` for the others) in the format `Accept` asks for. */
export function sendFault(req: Request, res: Response, fault: Fault | HostFault): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeNodeReply(res, renderFault(fault, negotiateFaultFormat(req.headers.accept), contextOf(req, res).requestId));
}
