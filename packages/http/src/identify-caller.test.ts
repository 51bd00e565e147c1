// identifyCaller: each identity answer (and a resolver that throws) becomes the caller or the failure the pipeline answers with.
import { DEFAULT_RETRY_AFTER_SECONDS, type Principal } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { toFault } from './fault.js';
import { identifyCaller } from './identify-caller.js';
import { authenticated, identityUnavailable, unauthenticated, type Identity, type IdentityResolver } from './identity.port.js';
import type { ImagesRequest } from './images-request.js';
import { StaticTokenAuthenticator } from './static-token-authenticator.js';
import { tokenIdentity } from './token-identity.js';

const ALICE: Principal = { userId: 'alice', projectId: 'p1', roles: ['member'] };
const REQUEST: ImagesRequest = { method: 'GET', path: '/v2/images', header: () => null, bodyHasContent: async () => false };
const answering =
  (identity: Identity): IdentityResolver =>
  () =>
    identity;

describe('identifyCaller', () => {
  it('gives the principal of Authenticated, and hands the resolver the source and the request', async () => {
    const seen: unknown[] = [];
    const identify: IdentityResolver<{ user: Principal }> = (source, request) => {
      seen.push(source, request);
      return authenticated(source.user);
    };
    const source = { user: ALICE };
    expect((await identifyCaller(identify, source, REQUEST))._unsafeUnwrap()).toEqual(ALICE);
    expect(seen).toEqual([source, REQUEST]);
  });

  it('turns Unauthenticated into Unauthorized: 401 with WWW-Authenticate', async () => {
    const failure = (await identifyCaller(answering(unauthenticated()), null, REQUEST))._unsafeUnwrapErr();
    expect(failure).toEqual({ kind: 'Unauthorized' });
    expect(toFault(failure)).toMatchObject({ status: 401, headers: { 'www-authenticate': expect.any(String) } });
  });

  it('turns IdentityUnavailable into a 503 failure with its Retry-After (default 5) and its cause', async () => {
    const cause = new Error('session store down');
    expect(
      (await identifyCaller(answering(identityUnavailable({ retryAfterSeconds: 7, cause })), null, REQUEST))._unsafeUnwrapErr(),
    ).toEqual({
      kind: 'IdentityUnavailable',
      retryAfterSeconds: 7,
      cause,
    });
    const defaulted = (await identifyCaller(answering(identityUnavailable()), null, REQUEST))._unsafeUnwrapErr();
    expect(defaulted).toMatchObject({ kind: 'IdentityUnavailable', retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS });
    expect(toFault(defaulted)).toMatchObject({ status: 503, headers: { 'retry-after': String(DEFAULT_RETRY_AFTER_SECONDS) } });
  });

  it('turns a resolver that throws, rejects or answers a wrong shape into InternalError with the error as cause', async () => {
    const thrown = new Error('boom');
    const throwing: IdentityResolver = () => {
      throw thrown;
    };
    const rejecting: IdentityResolver = () => Promise.reject(thrown);
    expect((await identifyCaller(throwing, null, REQUEST))._unsafeUnwrapErr()).toEqual({ kind: 'InternalError', cause: thrown });
    expect((await identifyCaller(rejecting, null, REQUEST))._unsafeUnwrapErr()).toEqual({ kind: 'InternalError', cause: thrown });
    const wrong = (
      await identifyCaller((() => ({ kind: 'authenticated' })) as unknown as IdentityResolver, null, REQUEST)
    )._unsafeUnwrapErr();
    expect(wrong).toMatchObject({ kind: 'InternalError', cause: expect.any(TypeError) });
  });

  it('works with the token resolver: a known token is the caller, none is Unauthorized', async () => {
    const identify = tokenIdentity(new StaticTokenAuthenticator({ 'alice-token': ALICE }));
    const withToken: ImagesRequest = { ...REQUEST, header: (name) => (name === 'x-auth-token' ? 'alice-token' : null) };
    expect((await identifyCaller(identify, null, withToken))._unsafeUnwrap()).toEqual(ALICE);
    expect((await identifyCaller(identify, null, REQUEST))._unsafeUnwrapErr()).toEqual({ kind: 'Unauthorized' });
  });
});
