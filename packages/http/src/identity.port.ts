// The identity port: who is calling, decided by the host (session cookie, gateway header, mTLS, a token).
import type { Principal } from '@image-catalog/core';
import type { ImagesRequest } from './images-request.js';

/** The caller is known. */
export interface Authenticated {
  readonly kind: 'Authenticated';
  readonly principal: Principal;
}

/** No credentials, or credentials that name nobody: the handler answers 401 with `WWW-Authenticate`. */
export interface Unauthenticated {
  readonly kind: 'Unauthenticated';
}

/** The identity backend (session store, Keystone, ...) cannot answer now: 503 with `Retry-After`. */
export interface IdentityServiceUnavailable {
  readonly kind: 'IdentityUnavailable';
  /** `Retry-After` of the 503, whole seconds (default 5). */
  readonly retryAfterSeconds?: number;
  /** Logged server-side, never sent. */
  readonly cause?: unknown;
}

/** What a host's identity function answers. A function that throws (or rejects) gets a 500, its error logged. */
export type Identity = Authenticated | Unauthenticated | IdentityServiceUnavailable;
export type IdentityKind = Identity['kind'];

/**
 * Who is calling. `source` is the request as the entry point received it: the Fetch `Request`
 * for the handler itself, node's `IncomingMessage` under `createNodeListener`, Express's `req`
 * under `createImagesRouter`. `request` is the same request as the pipeline sees it (method,
 * path, `header(name)`), for resolvers that only read headers and work under any entry point.
 * Called once per request, after OPTIONS and draining, before the method and body checks.
 */
export type IdentityResolver<Source = unknown> = (source: Source, request: ImagesRequest) => Identity | PromiseLike<Identity>;

export function authenticated(principal: Principal): Authenticated {
  return { kind: 'Authenticated', principal };
}

export function unauthenticated(): Unauthenticated {
  return { kind: 'Unauthenticated' };
}

export function identityUnavailable(
  options: { readonly retryAfterSeconds?: number; readonly cause?: unknown } = {},
): IdentityServiceUnavailable {
  return {
    kind: 'IdentityUnavailable',
    ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
    ...(options.cause !== undefined ? { cause: options.cause } : {}),
  };
}
