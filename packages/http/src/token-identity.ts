// The token authenticator as an identity resolver: `X-Auth-Token` or `Authorization: Bearer`, looked up by an Authenticator.
import type { Authenticator } from './authenticator.port.js';
import { credentialsFrom } from './credentials.js';
import { authenticated, identityUnavailable, unauthenticated, type IdentityResolver } from './identity.port.js';

/**
 * No usable token, or a token the authenticator does not know: `Unauthenticated` (401).
 * `StorageUnavailable` from the authenticator: `IdentityUnavailable` with its `retryAfterSeconds`
 * (503). `StorageFault`: rejects with an error whose `cause` is the fault's (500, logged).
 * It reads only the pipeline's header view, so it works under every entry point.
 */
export function tokenIdentity(authenticator: Authenticator): IdentityResolver<unknown> {
  return async (_source, request) => {
    const credentials = credentialsFrom((name) => request.header(name));
    if (credentials === null) return unauthenticated();
    const found = await authenticator.authenticate(credentials);
    if (found.isOk()) return found.value === null ? unauthenticated() : authenticated(found.value);
    const failure = found.error;
    if (failure.kind === 'StorageUnavailable')
      return identityUnavailable({ retryAfterSeconds: failure.retryAfterSeconds, cause: failure.cause });
    throw new Error(`authenticator fault: ${failure.message}`, { cause: failure.cause });
  };
}
