// The metrics hook: one observation per request the handler answers, for the host to bind to its own metrics system.
import type { ImagesFailureKind } from './http-failures.js';

/** How an answered request ended: a success, or the failure kind behind its fault (`'ImageNotFound'`, `'Unauthorized'`, ...). */
export type ImagesOutcome = 'deleted' | 'options' | ImagesFailureKind;

/** The methods reported as they are; any other method (or a different case, e.g. `delete`) is `'OTHER'`. */
export const OBSERVED_METHODS = ['DELETE', 'OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'CONNECT', 'TRACE'] as const;

/** A bounded method label: a client choosing arbitrary methods cannot grow a time series per method. */
export type ObservedMethod = (typeof OBSERVED_METHODS)[number] | 'OTHER';

/** What the handler reports of one answered request. */
export interface ImagesRequestObservation {
  readonly method: ObservedMethod;
  /** The status sent: 204, or the fault's (400, 401, 403, 404, 405, 413 or 429, 500, 503). */
  readonly status: number;
  readonly outcome: ImagesOutcome;
  /** From the request entering the pipeline to its reply being ready (writing it is not included). */
  readonly durationSeconds: number;
}

/**
 * Bound by the host to counters and a histogram of its own metrics system (prom-client,
 * OpenTelemetry, StatsD...). Called exactly once per request the handler answers, after the
 * request log line, never for a path it does not serve (the bridges pass those on). Keep it cheap
 * and synchronous: it runs on the request's path. If it throws (or returns a promise that
 * rejects) the request is answered all the same and the error is logged under `err`, at most
 * once per `causeLogIntervalSeconds`.
 */
export interface ImagesMetrics {
  requestServed(observation: ImagesRequestObservation): void;
}

const OBSERVED = new Set<string>(OBSERVED_METHODS);

export function observedMethod(method: string): ObservedMethod {
  return OBSERVED.has(method) ? (method as ObservedMethod) : 'OTHER';
}
