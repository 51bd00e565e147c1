// Turns any failure into a fault: status, name, client-safe message and the headers that go with it.
import type { ImagesFailure, MalformedRequest } from './http-failures.js';
import {
  ALLOWED_METHODS,
  FAILURE_STATUS,
  FAULT_NAMES,
  HOST_FAULT_NAMES,
  HOST_REASON_PHRASES,
  REASON_PHRASES,
  type FaultName,
  type FaultStatus,
  type HostFaultName,
  type HostFaultStatus,
} from './status-table.js';

/** Glance's wording; the only message a 500 ever carries, whatever caused it. */
export const INTERNAL_ERROR_MESSAGE = 'The server has either erred or is incapable of performing the requested operation.';
export const BODY_NOT_ALLOWED_MESSAGE = 'A body is not expected with this request.';
export const UNAUTHORIZED_MESSAGE = 'The request you have made requires authentication.';
export const DEFAULT_WWW_AUTHENTICATE = 'Bearer realm="image-catalog"';

const MALFORMED_REQUEST_MESSAGES = {
  HeadersTooLarge: 'Request header fields too large.',
  Unparseable: 'The request could not be parsed.',
  InvalidHost: 'An HTTP/1.1 request must carry exactly one Host header.',
  Connect: 'CONNECT is not supported: this server is not a proxy.',
} as const satisfies Record<MalformedRequest['reason'], string>;

/** A failure as the client will see it, before it is rendered in a negotiated format. */
export interface Fault {
  readonly status: FaultStatus;
  readonly name: FaultName;
  readonly reason: string;
  readonly message: string;
  /** 413/429 and 503: whole seconds, also sent as `Retry-After`. */
  readonly retryAfterSeconds?: number;
  /** 413/429: when the limit frees up. */
  readonly retryAt?: Date;
  /** `Allow`, `WWW-Authenticate`, `Retry-After`, ... (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
}

/** A fault of a host's own route: any `HostFaultStatus`, rendered by `renderFault` exactly like the pipeline's. */
export interface HostFault extends Omit<Fault, 'status' | 'name'> {
  readonly status: HostFaultStatus;
  readonly name: HostFaultName;
}

export interface HostFaultOptions {
  /** Extra response headers (`Allow`, `Accept-Patch`, `Connection`, ...); names are sent in lower case. */
  readonly headers?: Readonly<Record<string, string>>;
  /** 503 and 413/429: whole seconds, sent as `Retry-After` and in the body. */
  readonly retryAfterSeconds?: number;
}

export interface FaultOptions {
  /** Status for `OverLimit`: 413 (default, Rackspace "Over Limit") or 429. */
  readonly overLimitStatus?: 413 | 429;
  /** The `WWW-Authenticate` challenge of a 401, e.g. `Keystone uri="https://keystone.example/v3"`. */
  readonly wwwAuthenticate?: string;
  /** The `Allow` header of a 405 (default `DELETE, OPTIONS`). */
  readonly allow?: string;
}

/** Delta-seconds as `Retry-After` requires: a whole number, never negative. */
function deltaSeconds(seconds: number): number {
  return Number.isFinite(seconds) ? Math.max(0, Math.ceil(seconds)) : 1;
}

function fault(status: FaultStatus, message: string, extra: Partial<Omit<Fault, 'status' | 'name' | 'reason' | 'message'>> = {}): Fault {
  return { status, name: FAULT_NAMES[status], reason: REASON_PHRASES[status], message, headers: {}, ...extra };
}

function retryLater(status: FaultStatus, message: string, seconds: number): Fault {
  const retryAfterSeconds = deltaSeconds(seconds);
  return fault(status, message, { retryAfterSeconds, headers: { 'retry-after': String(retryAfterSeconds) } });
}

/**
 * The fault for a status the host's own route decided on, with its client-safe `message`:
 * `hostFault(409, 'Image with identifier … already exists!')`. The name and reason come from the
 * same tables as the pipeline's, so every route of a service speaks one fault format.
 */
export function hostFault(status: HostFaultStatus, message: string, options: HostFaultOptions = {}): HostFault {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  const base = { status, name: HOST_FAULT_NAMES[status], reason: HOST_REASON_PHRASES[status], message };
  if (options.retryAfterSeconds === undefined) return { ...base, headers };
  const retryAfterSeconds = deltaSeconds(options.retryAfterSeconds);
  return { ...base, retryAfterSeconds, headers: { ...headers, 'retry-after': String(retryAfterSeconds) } };
}

export function toFault(failure: ImagesFailure, options: FaultOptions = {}): Fault {
  const status = FAILURE_STATUS[failure.kind];
  switch (failure.kind) {
    case 'InvalidImageId':
    case 'ImageNotFound':
    case 'DeleteForbidden':
    case 'ImageProtected':
      return fault(status, failure.message);
    case 'StorageUnavailable':
      return retryLater(status, failure.message, failure.retryAfterSeconds);
    case 'StorageFault':
    case 'InternalError':
      return fault(status, INTERNAL_ERROR_MESSAGE);
    case 'RouteNotFound':
      return fault(status, 'The resource could not be found.');
    case 'MalformedImageId':
      return fault(status, 'Invalid image id: the path segment is not a valid image id.');
    case 'MalformedRequest':
      return fault(status, MALFORMED_REQUEST_MESSAGES[failure.reason]);
    case 'BodyNotAllowed':
      return fault(status, BODY_NOT_ALLOWED_MESSAGE);
    case 'Unauthorized':
      return fault(status, UNAUTHORIZED_MESSAGE, { headers: { 'www-authenticate': options.wwwAuthenticate ?? DEFAULT_WWW_AUTHENTICATE } });
    case 'IdentityUnavailable':
      return retryLater(status, 'The identity service is temporarily unavailable. Please retry later.', failure.retryAfterSeconds);
    case 'MethodNotAllowed':
      return fault(status, 'The method is not allowed for this resource.', { headers: { allow: options.allow ?? ALLOWED_METHODS } });
    case 'OverLimit': {
      const limited = retryLater(options.overLimitStatus ?? status, 'This request was rate-limited.', failure.retryAfterSeconds);
      return { ...limited, retryAt: failure.retryAt };
    }
    case 'LimiterUnavailable':
      return retryLater(status, 'The rate limiter is temporarily unavailable. Please retry later.', failure.retryAfterSeconds);
    case 'Draining': {
      const draining = retryLater(status, 'The server is shutting down. Please retry later.', failure.retryAfterSeconds);
      // `Connection: close` moves a keep-alive client to another server while this one stops.
      return { ...draining, headers: { ...draining.headers, connection: 'close' } };
    }
    default: {
      const unknown: never = failure;
      return unknown;
    }
  }
}
