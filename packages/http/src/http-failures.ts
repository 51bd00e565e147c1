// Failures the HTTP layer finds before or around the use case, as data like the core's own.
import type { DeleteImageFailure } from '@image-catalog/core';

/** The path is not `/images/{image_id}` under the base path. */
export interface RouteNotFound {
  readonly kind: 'RouteNotFound';
}

/** No credentials, or credentials the authenticator does not know. */
export interface Unauthorized {
  readonly kind: 'Unauthorized';
}

/** The identity backend could not be reached. */
export interface IdentityUnavailable {
  readonly kind: 'IdentityUnavailable';
  readonly retryAfterSeconds: number;
  readonly cause?: unknown;
}

/** A method other than DELETE (or OPTIONS) on `/images/{image_id}`. */
export interface MethodNotAllowed {
  readonly kind: 'MethodNotAllowed';
}

/** The caller's project used up its rate limit. */
export interface OverLimit {
  readonly kind: 'OverLimit';
  readonly retryAfterSeconds: number;
  readonly retryAt: Date;
}

/** The rate limiter's store could not be reached. */
export interface LimiterUnavailable {
  readonly kind: 'LimiterUnavailable';
  readonly retryAfterSeconds: number;
  readonly cause?: unknown;
}

/** DELETE takes no body; one with content was sent. */
export interface BodyNotAllowed {
  readonly kind: 'BodyNotAllowed';
}

/**
 * The id path segment cannot be an id at all (bad percent-encoding, an encoded slash, control
 * characters, too long). Like the core's `InvalidImageId`, it never echoes the segment.
 */
export interface MalformedImageId {
  readonly kind: 'MalformedImageId';
}

/**
 * A request no route can serve because of how it is framed, answered by the node:http bridges
 * before any route is matched: node could not parse it (`clientError`: `HeadersTooLarge`,
 * `Unparseable`), an HTTP/1.1 request without exactly one `Host` (`InvalidHost`), or a `CONNECT`
 * (`Connect`: this is an origin server, not a proxy).
 */
export interface MalformedRequest {
  readonly kind: 'MalformedRequest';
  readonly reason: 'HeadersTooLarge' | 'Unparseable' | 'InvalidHost' | 'Connect';
}

/** The host is shutting down and takes no new work. */
export interface Draining {
  readonly kind: 'Draining';
  readonly retryAfterSeconds: number;
}

/** Something threw, or a port reported a fault: a defect, logged with its cause. */
export interface InternalError {
  readonly kind: 'InternalError';
  readonly cause?: unknown;
}

export type HttpFailure =
  | RouteNotFound
  | Unauthorized
  | IdentityUnavailable
  | MethodNotAllowed
  | OverLimit
  | LimiterUnavailable
  | BodyNotAllowed
  | MalformedImageId
  | MalformedRequest
  | Draining
  | InternalError;

export type HttpFailureKind = HttpFailure['kind'];

/** Everything a request to the images route can end in, other than success. */
export type ImagesFailure = DeleteImageFailure | HttpFailure;
export type ImagesFailureKind = ImagesFailure['kind'];

/** All HTTP-level kinds, for exhaustive tests. */
export const HTTP_FAILURE_KINDS = [
  'RouteNotFound',
  'Unauthorized',
  'IdentityUnavailable',
  'MethodNotAllowed',
  'OverLimit',
  'LimiterUnavailable',
  'BodyNotAllowed',
  'MalformedImageId',
  'MalformedRequest',
  'Draining',
  'InternalError',
] as const satisfies readonly HttpFailureKind[];
