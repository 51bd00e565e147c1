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
import { toFault, type FaultOptions } from './fault.js';
import { renderFault } from './fault-reply.js';
import type { ImagesFailure, ImagesFailureKind } from './http-failures.js';
import { identifyCaller } from './identify-caller.js';
import type { IdentityResolver } from './identity.port.js';
import { observedMethod, type ImagesMetrics, type ImagesOutcome } from './images-metrics.port.js';
import { pathOfTarget, type ImagesReply, type ImagesRequest } from './images-request.js';
import { decodeImageIdSegment, IMAGES_ROUTE_TEMPLATE, matchImagesRoute, normaliseBasePath } from './images-route.js';
import type { RateLimiter } from './rate-limiter.port.js';
import { hasBodyContent, webStreamHasContent } from './request-body.js';
import { RepeatedCauseLog, type Dependency } from './repeated-cause-log.js';
import { newRequestId, REQUEST_ID_HEADER, requestIdFor } from './request-id.js';
import { ALLOWED_METHODS } from './status-table.js';
import { tokenIdentity } from './token-identity.js';

/** What the handler needs of the use case; the core's `DeleteImage` is one, a test fake another. */
export interface DeleteImageExecutor {
  execute(command: DeleteImageCommand): ResultAsync<ImageDeleted, DeleteImageFailure>;
}

/** Everything the pipeline needs except how the caller is identified. */
export interface ImagesPipelineOptions extends FaultOptions {
  readonly deleteImage: DeleteImageExecutor;
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
  /**
   * While one failure kind repeats (an outage), its cause is logged in full at most once per
   * this many seconds, with the count of repeats in between; the others get a plain request
   * line. 0 logs every cause (default 60).
   */
  readonly causeLogIntervalSeconds?: number;
  /** "now" for the rate limiter (default: system time). */
  readonly clock?: Clock;
  /**
   * Told of every request the handler answers (method, status, outcome, duration), for the
   * host's counters and latency histogram (default: none). A hook that throws never changes
   * the answer; its error is logged under `err`.
   */
  readonly metrics?: ImagesMetrics | null;
  /**
   * Methods the host itself serves on `/images/{image_id}` (e.g. `['GET', 'PATCH']` in front of
   * this handler), so `Allow` on OPTIONS and 405 lists them too; HEAD is listed with GET, since
   * node:http and Express serve HEAD wherever GET is served.
   */
  readonly hostMethods?: readonly string[];
}

/**
 * How the caller is identified, exactly one of: `identify`, the host's own resolver over the
 * request its entry point receives (`Source`); or `authenticator`, shorthand for
 * `identify: tokenIdentity(authenticator)`.
 */
export type IdentityOptions<Source> =
  | { readonly identify: IdentityResolver<Source>; readonly authenticator?: never }
  | { readonly authenticator: Authenticator; readonly identify?: never };

/** `Source` is what `identify` reads: `Request` for the Fetch entry, `IncomingMessage` under `createNodeListener`. */
export type ImagesHandlerOptions<Source = unknown> = ImagesPipelineOptions & IdentityOptions<Source>;

/** The Fetch handler, plus what hosts and framework adapters need around it. */
export interface ImagesHandler<Source = unknown> {
  /**
   * The Fetch entry. The request is also the `source` its `identify` receives, hence
   * `Request & Source`: any Fetch `Request` is accepted unless `identify` reads another kind of
   * request (node's or Express's), which a Fetch request could not satisfy.
   */
  (request: Request & Source): Promise<Response>;
  readonly basePath: string;
  /** True when the URL (absolute, or a path with optional query) is one this handler serves. */
  matches(url: string | URL): boolean;
  /** The pipeline without Fetch objects; `source` is what `identify` receives. Never rejects. */
  readonly handle: (request: ImagesRequest, source: Source) => Promise<ImagesReply>;
}

type Success = 'options' | 'deleted';

/** What the request log line needs to learn along the way. */
interface Trace {
  route: string | null;
  principal: Principal | null;
  failure: ImagesFailure | null;
  /** Dependencies that gave an answer (not an outage) during this request. */
  answered: Set<Dependency>;
}

/** What a failure kind says is down, so an answer from it later ends the outage in the log. */
const DEPENDENCY_OF: Partial<Record<ImagesFailureKind, Dependency>> = {
  IdentityUnavailable: 'identity',
  LimiterUnavailable: 'limiter',
  StorageUnavailable: 'storage',
  StorageFault: 'storage',
};

const DEFAULT_CAUSE_LOG_INTERVAL_SECONDS = 60;

/** `Allow`: the host's methods (HEAD after GET, which serves it), then this handler's. */
function allowHeader(hostMethods: readonly string[]): string {
  const host = hostMethods.map((m) => m.toUpperCase());
  const withHead = host.flatMap((m) => (m === 'GET' && !host.includes('HEAD') ? ['GET', 'HEAD'] : [m]));
  return [...new Set([...withHead, ...ALLOWED_METHODS.split(', ')])].join(', ');
}

export function defaultRateLimitKey(principal: Principal): string {
  return principal.projectId !== null ? `project:${principal.projectId}` : `user:${principal.userId}`;
}

function causeOf(failure: ImagesFailure): unknown {
  return 'cause' in failure ? failure.cause : undefined;
}

function metricsOf(metrics: unknown): ImagesMetrics | null {
  if (metrics === undefined || metrics === null) return null;
  if (typeof metrics === 'object' && typeof (metrics as ImagesMetrics).requestServed === 'function') return metrics as ImagesMetrics;
  throw new TypeError('createImagesHandler: metrics must be an object with a requestServed(observation) method');
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** The one resolver a handler runs: the host's, or the token shorthand's. */
function identityResolverOf<Source>(options: IdentityOptions<Source>): IdentityResolver<Source> {
  const { identify, authenticator } = options as { identify?: unknown; authenticator?: unknown };
  if (identify !== undefined && authenticator !== undefined)
    throw new TypeError('createImagesHandler: pass either identify or authenticator, not both');
  if (typeof identify === 'function') return identify as IdentityResolver<Source>;
  if (authenticator !== null && typeof authenticator === 'object' && typeof (authenticator as Authenticator).authenticate === 'function')
    return tokenIdentity(authenticator as Authenticator);
  throw new TypeError('createImagesHandler: identify (a function of the request) or authenticator (with authenticate()) is required');
}

export function createImagesHandler<Source = unknown>(options: ImagesHandlerOptions<Source>): ImagesHandler<Source> {
  const identify = identityResolverOf(options);
  const basePath = normaliseBasePath(options.basePath);
  const route = `${basePath}${IMAGES_ROUTE_TEMPLATE}`;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const rateLimitKey = options.rateLimitKey ?? defaultRateLimitKey;
  const drainingRetryAfter = options.drainingRetryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  const causeLogIntervalMs = (options.causeLogIntervalSeconds ?? DEFAULT_CAUSE_LOG_INTERVAL_SECONDS) * 1000;
  const causeLog = new RepeatedCauseLog(causeLogIntervalMs);
  const metrics = metricsOf(options.metrics);
  // A broken hook fails on every request: its error is logged like an outage's cause, once per interval.
  const metricsFailures = new RepeatedCauseLog(causeLogIntervalMs);
  const allow = allowHeader(options.hostMethods ?? []);
  const faultOptions: FaultOptions = {
    allow,
    ...(options.overLimitStatus !== undefined ? { overLimitStatus: options.overLimitStatus } : {}),
    ...(options.wwwAuthenticate !== undefined ? { wwwAuthenticate: options.wwwAuthenticate } : {}),
  };

  /** Steps 1-6 of behaviour.md §9, in that order, then the use case. */
  async function decide(request: ImagesRequest, source: Source, trace: Trace): Promise<Result<Success, ImagesFailure>> {
    const segment = matchImagesRoute(request.path, basePath);
    if (segment === null) return err({ kind: 'RouteNotFound' });
    trace.route = `${(request.mountPath ?? '').replace(/\/+$/, '').slice(0, 128)}${route}`;
    const method = request.method;
    if (method === 'OPTIONS') return ok('options');
    if (options.isDraining?.()) return err({ kind: 'Draining', retryAfterSeconds: drainingRetryAfter });

    const caller = await identifyCaller(identify, source, request);
    if (caller.isOk() || caller.error.kind === 'Unauthorized') trace.answered.add('identity');
    if (caller.isErr()) return err(caller.error);
    const principal = caller.value;
    trace.principal = principal;

    if (method !== 'DELETE') return err({ kind: 'MethodNotAllowed' });

    if (options.rateLimiter) {
      const decision = await options.rateLimiter.consume(rateLimitKey(principal), clock.now());
      if (decision.isErr()) {
        const e = decision.error;
        // The error's own cause is what the log needs; the data around it would serialise without its stack.
        return err(
          e.kind === 'StorageUnavailable'
            ? { kind: 'LimiterUnavailable', retryAfterSeconds: e.retryAfterSeconds, cause: e.cause }
            : { kind: 'InternalError', cause: e.cause ?? e },
        );
      }
      trace.answered.add('limiter');
      const d = decision.value;
      if (!d.allowed) return err({ kind: 'OverLimit', retryAfterSeconds: d.retryAfterSeconds, retryAt: d.retryAt });
    }

    if (await hasBodyContent(request.header('content-length'), () => request.bodyHasContent())) return err({ kind: 'BodyNotAllowed' });

    const imageId = decodeImageIdSegment(segment);
    if (imageId === null) return err({ kind: 'MalformedImageId' });

    const deleted = await options.deleteImage.execute({ imageId, principal });
    if (deleted.isOk() || DEPENDENCY_OF[deleted.error.kind] !== 'storage') trace.answered.add('storage');
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
      const nowMs = clock.now().getTime();
      const cause = trace.failure ? causeOf(trace.failure) : undefined;
      if (reply.status >= 500 && trace.failure !== null && trace.failure.kind !== 'Draining') {
        const { logCause, repeated } = causeLog.failed(trace.failure.kind, DEPENDENCY_OF[trace.failure.kind] ?? null, nowMs);
        if (logCause) {
          // The cause stays here, server-side, under pino's `err` key; the client got a fixed message.
          const line = { ...entry, ...(cause !== undefined ? { err: cause } : {}), ...(repeated > 0 ? { repeated } : {}) };
          logger[reply.status === 500 ? 'error' : 'warn'](
            line,
            repeated > 0 ? `request failed; ${repeated} more like it since the last logged cause` : 'request failed',
          );
        } else {
          logger.info(entry, 'request failed; cause as logged earlier');
        }
      } else {
        logger.info(entry, 'request');
      }
      for (const outage of causeLog.answered(trace.answered, nowMs))
        logger.info(outage, `${outage.failure}: recovered after ${outage.failures} failed requests`);
    } catch {
      // A logger that throws must not turn an answered request into a failed one.
    }
  }

  function hookFailed(cause: unknown): void {
    try {
      const { logCause, repeated } = metricsFailures.failed('MetricsHookFailed', null, clock.now().getTime());
      if (logCause)
        logger.error({ err: cause, ...(repeated > 0 ? { repeated } : {}) }, 'metrics hook failed; the request was answered regardless');
    } catch {
      // Neither the clock nor the logger may turn an answered request into a failed one.
    }
  }

  function observe(request: ImagesRequest, reply: ImagesReply, outcome: ImagesOutcome, durationMs: number): void {
    if (metrics === null) return;
    try {
      const returned: unknown = metrics.requestServed({
        method: observedMethod(String(request.method)),
        status: reply.status,
        outcome,
        durationSeconds: durationMs / 1000,
      });
      // Typed as void, but an async hook would otherwise leave an unhandled rejection behind.
      if (isThenable(returned)) returned.then(undefined, hookFailed);
    } catch (cause) {
      hookFailed(cause);
    }
  }

  async function handle(request: ImagesRequest, source: Source): Promise<ImagesReply> {
    const started = performance.now();
    const trace: Trace = { route: null, principal: null, failure: null, answered: new Set() };
    let requestId = newRequestId();
    let reply: ImagesReply;
    let outcome: ImagesOutcome;
    try {
      requestId = requestIdFor(request.header(REQUEST_ID_HEADER));
      const decided = await decide(request, source, trace);
      if (decided.isOk()) {
        outcome = decided.value;
        reply = success(decided.value, requestId);
      } else {
        trace.failure = decided.error;
        outcome = decided.error.kind;
        reply = failure(decided.error, request, requestId);
      }
    } catch (cause) {
      trace.failure = { kind: 'InternalError', cause };
      outcome = 'InternalError';
      reply = failure(trace.failure, request, requestId);
    }
    // A response to HEAD never has a body, whichever bridge writes it (node:http drops one anyway; not every Fetch runtime does).
    if (request.method === 'HEAD' && reply.body !== null) reply = { ...reply, body: null };
    const durationMs = performance.now() - started;
    log(request, reply, trace, requestId, durationMs);
    observe(request, reply, outcome, durationMs);
    return reply;
  }

  const fetchHandler = async (request: Request & Source): Promise<Response> =>
    toFetchResponse(await handle(fromFetchRequest(request), request));

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
