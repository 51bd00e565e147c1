// The one table from failure kind to HTTP status, plus the fault name and reason of each status.
import type { ImagesFailureKind } from './http-failures.js';

/** Every status a fault can have: the documented ones, and 429 when configured instead of 413. */
export type FaultStatus = 400 | 401 | 403 | 404 | 405 | 413 | 429 | 500 | 503;

/**
 * The status of every failure kind, core and HTTP-level. `satisfies` makes a kind added to
 * the core's `DeleteImageFailure` (or to `HttpFailure`) a compile error here until it is mapped.
 * `OverLimit` is 413 unless the handler is configured for 429.
 */
export const FAILURE_STATUS = {
  // core: DeleteImageFailure
  InvalidImageId: 400,
  ImageNotFound: 404,
  DeleteForbidden: 403,
  ImageProtected: 403,
  StorageUnavailable: 503,
  StorageFault: 500,
  // HTTP: HttpFailure
  RouteNotFound: 404,
  MalformedImageId: 400,
  MalformedRequest: 400,
  BodyNotAllowed: 400,
  Unauthorized: 401,
  IdentityUnavailable: 503,
  MethodNotAllowed: 405,
  OverLimit: 413,
  LimiterUnavailable: 503,
  Draining: 503,
  InternalError: 500,
} as const satisfies Record<ImagesFailureKind, FaultStatus>;

/** The key of the JSON fault object for each status (OpenStack compute/image fault names). */
export const FAULT_NAMES = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  413: 'overLimit',
  429: 'overLimit',
  500: 'apiFault',
  503: 'serviceUnavailable',
} as const satisfies Record<FaultStatus, string>;

export type FaultName = (typeof FAULT_NAMES)[FaultStatus];

/** Reason phrases; 413 is Rackspace's "Over Limit", which is what it means here. */
export const REASON_PHRASES = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Over Limit',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
} as const satisfies Record<FaultStatus, string>;

/**
 * Statuses a host's own routes answer beside the pipeline's: a Glance-compatible surface around
 * DELETE (create, patch, upload) also answers 409 on a conflict and 415 on a wrong media type.
 */
export type HostFaultStatus = FaultStatus | 409 | 415;

/** Fault names of every `HostFaultStatus`: the pipeline's, and Nova/Glance's for 409 and 415. */
export const HOST_FAULT_NAMES = {
  ...FAULT_NAMES,
  409: 'conflictingRequest',
  415: 'badMediaType',
} as const satisfies Record<HostFaultStatus, string>;

export type HostFaultName = (typeof HOST_FAULT_NAMES)[HostFaultStatus];

export const HOST_REASON_PHRASES = {
  ...REASON_PHRASES,
  409: 'Conflict',
  415: 'Unsupported Media Type',
} as const satisfies Record<HostFaultStatus, string>;

/** The methods `/images/{image_id}` answers, for `Allow`. */
export const ALLOWED_METHODS = 'DELETE, OPTIONS';
