// Runs an identity resolver for one request: the caller, or the failure the pipeline answers with (401, 503, 500).
import { DEFAULT_RETRY_AFTER_SECONDS, type Principal } from '@image-catalog/core';
import { err, ok, type Result } from 'neverthrow';
import type { IdentityUnavailable, InternalError, Unauthorized } from './http-failures.js';
import { checkIdentity } from './identity-answer.js';
import type { Identity, IdentityResolver } from './identity.port.js';
import type { ImagesRequest } from './images-request.js';

/** Why a request has no caller: no or unknown credentials (401), identity backend down (503), a defect (500). */
export type IdentityFailure = Unauthorized | IdentityUnavailable | InternalError;

/**
 * Asks `identify` who sent `request` and never rejects: `Authenticated` gives the principal;
 * `Unauthenticated` is `Unauthorized`; `IdentityUnavailable` keeps its cause and its
 * `retryAfterSeconds` (default 5); a resolver that throws, rejects or answers a wrong shape is
 * an `InternalError` with that error as cause. The pipeline identifies its callers with it, and
 * a host guards its own routes with it (`toFault` then renders the failure the same way).
 */
export async function identifyCaller<Source>(
  identify: IdentityResolver<Source>,
  source: Source,
  request: ImagesRequest,
): Promise<Result<Principal, IdentityFailure>> {
  let identity: Identity;
  try {
    identity = checkIdentity(await identify(source, request));
  } catch (cause) {
    return err({ kind: 'InternalError', cause });
  }
  switch (identity.kind) {
    case 'Authenticated':
      return ok(identity.principal);
    case 'Unauthenticated':
      return err({ kind: 'Unauthorized' });
    case 'IdentityUnavailable':
      return err({
        kind: 'IdentityUnavailable',
        retryAfterSeconds: identity.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
        cause: identity.cause,
      });
    default: {
      const unknown: never = identity;
      return unknown;
    }
  }
}
