// The request pipeline for `/images/{image_id}` (behaviour.md §9), behind a Fetch-standard handler.
import {
  DEFAULT_RETRY_AFTER_SECONDS,
  silentLogger,
  systemClock,
  type Clock,
  type DeleteImageCommand,
  type DeleteImageFailure,
  type ImageDeleted,
  type Logger,
  type Principal,
} from '@image-catalog/core';
import { err, ok, type Result, type ResultAsync } from 'neverthrow';
import type { Authenticator } from './authenticator.port.js';
import { negotiateFaultFormat } from './content-negotiation.js';
import { credentialsFrom } from './credentials.js';
import { toFault, type FaultOptions } from './fault.js';
import { renderFault } from './fault-reply.js';
import type { ImagesFailure } from './http-failures.js';
import { pathOfTarget, type ImagesReply, type ImagesRequest } from './images-request.js';
import { decodeImageIdSegment, IMAGES_ROUTE_TEMPLATE, matchImagesRoute, normaliseBasePath } from './images-route.js';
import type { RateLimiter } from './rate-limiter.port.js';
import { hasBodyContent, webStreamHasContent } from './request-body.js';
import { newRequestId, REQUEST_ID_HEADER, requestIdFor } from './request-id.js';
import { ALLOWED_METHODS } from './status-table.js';

/** What the handler needs of the use case; the core's `DeleteImage` is one, a test fake another. */
export interface DeleteImageExecutor {
  execute(command: DeleteImageCommand): ResultAsync<ImageDeleted, DeleteImageFailure>;
}

export interface ImagesHandlerOptions extends FaultOptions {
  readonly deleteImage: DeleteImageExecutor;
  readonly authenticator: Authenticator;
  /** Where the API is mounted, e.g. `/v2` to serve `/v2/images/{image_id}` (default `''`). */
  readonly basePath?: string;
  /** Per-project limit on DELETE requests; none by default. */
  readonly rateLimiter?: RateLimiter | null;
  /** The limiter's key for a caller (default: `project:<id>`, or `user:<id>` without a project). */
  readonly rateLimitKey?: (principal: Principal) => string;
  /** While it returns true every request except OPTIONS gets 503 (graceful shutdown). */
  readonly isDraining?: () => boolean;
  /** `Retry-After` of a draining 503 (default 5). */
  readonly drainingRetryAfterSeconds?: number;
  /** One structured line per request; causes of 5xx go here and nowhere else (default: silent). */
  readonly logger?: Logger;
  /** "now" for the rate limiter (default: system time). */
  readonly clock?: Clock;
  /**
   * Methods the host itself serves on `/images/{image_id}` (e.g. `['GET', 'PATCH']` in front of
   * this handler), so `Allow` on OPTIONS and 405 lists them too.
   */
  readonly hostMethods?: readonly string[];
}

/** The Fetch handler, plus what hosts and framework adapters need around it. */
export interface ImagesHandler {
  (request: Request): Promise<Response>;
  readonly basePath: string;
  /** True when the URL (absolute, or a path with optional query) is one this handler serves. */
  matches(url: string | URL): boolean;
  /** The pipeline without Fetch objects; never rejects. */
  handle(request: ImagesRequest): Promise<ImagesReply>;
}

type Success = 'options' | 'deleted';

/** What the request log line needs to learn along the way. */
interface Trace {
  route: string | null;
  principal: Principal | null;
  failure: ImagesFailure | null;
}

export function defaultRateLimitKey(principal: Principal): string {
  return principal.projectId !== null ? `project:${principal.projectId}` : `user:${principal.userId}`;
}

function causeOf(failure: ImagesFailure): unknown {
  return 'cause' in failure ? failure.cause : undefined;
}

export function createImagesHandler(options: ImagesHandlerOptions): ImagesHandler {
  const basePath = normaliseBasePath(options.basePath);
  const route = `${basePath}${IMAGES_ROUTE_TEMPLATE}`;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const rateLimitKey = options.rateLimitKey ?? defaultRateLimitKey;
  const drainingRetryAfter = options.drainingRetryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  const allow = [...new Set([...(options.hostMethods ?? []).map((m) => m.toUpperCase()), ...ALLOWED_METHODS.split(', ')])].join(', ');
  const faultOptions: FaultOptions = {
    allow,
    ...(options.overLimitStatus !== undefined ? { overLimitStatus: options.overLimitStatus } : {}),
    ...(options.wwwAuthenticate !== undefined ? { wwwAuthenticate: options.wwwAuthenticate } : {}),
  };

  /** Steps 1-6 of behaviour.md §9, in that order, then the use case. */
  async function decide(request: ImagesRequest, trace: Trace): Promise<Result<Success, ImagesFailure>> {
    const segment = matchImagesRoute(request.path, basePath);
    if (segment === null) return err({ kind: 'RouteNotFound' });
    trace.route = `${(request.mountPath ?? '').replace(/\/+$/, '').slice(0, 128)}${route}`;
    const method = request.method;
    if (method === 'OPTIONS') return ok('options');
    if (options.isDraining?.()) return err({ kind: 'Draining', retryAfterSeconds: drainingRetryAfter });

    const credentials = credentialsFrom((name) => request.header(name));
    if (credentials === null) return err({ kind: 'Unauthorized' });
    const authenticated = await options.authenticator.authenticate(credentials);
    if (authenticated.isErr()) {
      const e = authenticated.error;
      return err(e.kind === 'StorageUnavailable' ? { kind: 'IdentityUnavailable', retryAfterSeconds: e.retryAfterSeconds, cause: e.cause } : { kind: 'InternalError', cause: e });
    }
    const principal = authenticated.value;
    if (principal === null) return err({ kind: 'Unauthorized' });
    trace.principal = principal;

    if (method !== 'DELETE') return err({ kind: 'MethodNotAllowed' });

    if (options.rateLimiter) {
      const decision = await options.rateLimiter.consume(rateLimitKey(principal), clock.now());
      if (decision.isErr()) {
        const e = decision.error;
        return err(e.kind === 'StorageUnavailable' ? { kind: 'LimiterUnavailable', retryAfterSeconds: e.retryAfterSeconds, cause: e.cause } : { kind: 'InternalError', cause: e });
      }
      const d = decision.value;
      if (!d.allowed) return err({ kind: 'OverLimit', retryAfterSeconds: d.retryAfterSeconds, retryAt: d.retryAt });
    }

    if (await hasBodyContent(request.header('content-length'), () => request.bodyHasContent())) return err({ kind: 'BodyNotAllowed' });

    const imageId = decodeImageIdSegment(segment);
    if (imageId === null) return err({ kind: 'MalformedImageId' });

    const deleted = await options.deleteImage.execute({ imageId, principal });
    return deleted.isErr() ? err(deleted.error) : ok('deleted');
  }

  function success(kind: Success, requestId: string): ImagesReply {
    const headers: Record<string, string> = { [REQUEST_ID_HEADER]: requestId };
    if (kind === 'options') headers.allow = allow;
    return { status: 204, statusText: 'No Content', headers, body: null };
  }

  function failure(failed: ImagesFailure, request: ImagesRequest, requestId: string): ImagesReply {
    let format = negotiateFaultFormat(null);
    try {
      format = negotiateFaultFormat(request.header('accept'));
    } catch {
      // A header getter that throws gets the default format; the fault still goes out.
    }
    return renderFault(toFault(failed, faultOptions), format, requestId);
  }

  function log(request: ImagesRequest, reply: ImagesReply, trace: Trace, requestId: string, durationMs: number): void {
    const entry = {
      method: String(request.method).slice(0, 32),
      route: trace.route,
      status: reply.status,
      durationMs: Math.round(durationMs * 1000) / 1000,
      requestId,
      projectId: trace.principal?.projectId ?? null,
      userId: trace.principal?.userId ?? null,
      ...(trace.failure ? { failure: trace.failure.kind } : {}),
    };
    try {
      if (reply.status >= 500 && trace.failure?.kind !== 'Draining') {
        // The cause stays here, server-side; the client got a fixed message.
        const cause = trace.failure ? causeOf(trace.failure) : undefined;
        logger[reply.status === 500 ? 'error' : 'warn']({ ...entry, ...(cause !== undefined ? { err: cause } : {}) }, 'request failed');
      } else {
        logger.info(entry, 'request');
      }
    } catch {
      // A logger that throws must not turn an answered request into a failed one.
    }
  }

  async function handle(request: ImagesRequest): Promise<ImagesReply> {
    const started = performance.now();
    const trace: Trace = { route: null, principal: null, failure: null };
    let requestId = newRequestId();
    let reply: ImagesReply;
    try {
      requestId = requestIdFor(request.header(REQUEST_ID_HEADER));
      const outcome = await decide(request, trace);
      if (outcome.isOk()) {
        reply = success(outcome.value, requestId);
      } else {
        trace.failure = outcome.error;
        reply = failure(outcome.error, request, requestId);
      }
    } catch (cause) {
      trace.failure = { kind: 'InternalError', cause };
      reply = failure(trace.failure, request, requestId);
    }
    log(request, reply, trace, requestId, performance.now() - started);
    return reply;
  }

  const fetchHandler = async (request: Request): Promise<Response> => toFetchResponse(await handle(fromFetchRequest(request)));

  return Object.assign(fetchHandler, {
    basePath,
    matches: (url: string | URL) => matchImagesRoute(pathOfTarget(String(url)), basePath) !== null,
    handle,
  });
}

/** A Fetch `Request` as the pipeline sees it. */
export function fromFetchRequest(request: Request): ImagesRequest {
  return {
    method: request.method,
    path: pathOfTarget(request.url),
    header: (name) => request.headers.get(name),
    bodyHasContent: () => webStreamHasContent(request.body),
  };
}

export function toFetchResponse(reply: ImagesReply): Response {
  return new Response(reply.body, { status: reply.status, statusText: reply.statusText, headers: reply.headers });
}
