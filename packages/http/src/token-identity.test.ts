// The token authenticator as an identity resolver: which answer each token and authenticator outcome gives.
import { storageFault, storageUnavailable, type Principal, type StorageError } from '@image-catalog/core';
import { errAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import type { Authenticator } from './authenticator.port.js';
import type { ImagesRequest } from './images-request.js';
import { StaticTokenAuthenticator } from './static-token-authenticator.js';
import { tokenIdentity } from './token-identity.js';

const ALICE: Principal = { userId: 'alice', projectId: 'p1', roles: ['member'] };

function request(headers: Record<string, string>): ImagesRequest {
  return { method: 'DELETE', path: '/images/x', header: (name) => headers[name] ?? null, bodyHasContent: async () => false };
}

describe('tokenIdentity', () => {
  const identify = tokenIdentity(new StaticTokenAuthenticator({ 'alice-token': ALICE }));

  it('answers Authenticated for a known X-Auth-Token or Bearer token', async () => {
    expect(await identify(null, request({ 'x-auth-token': 'alice-token' }))).toEqual({ kind: 'Authenticated', principal: ALICE });
    expect(await identify(null, request({ authorization: 'Bearer alice-token' }))).toEqual({ kind: 'Authenticated', principal: ALICE });
  });

  it('answers Unauthenticated without a usable token, without asking the authenticator', async () => {
    let asked = 0;
    const counting = tokenIdentity({
      authenticate: () => {
        asked += 1;
        return errAsync(storageFault());
      },
    });
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }, { 'x-auth-token': '  ' }] as Record<string, string>[]) {
      expect(await counting(null, request(headers))).toEqual({ kind: 'Unauthenticated' });
    }
    expect(asked).toBe(0);
    expect(await identify(null, request({ 'x-auth-token': 'bob-token' }))).toEqual({ kind: 'Unauthenticated' });
  });

  it('turns an unreachable authenticator into IdentityUnavailable with its Retry-After and cause', async () => {
    const cause = new Error('keystone: ECONNREFUSED');
    const down = tokenIdentity(failing(storageUnavailable(cause, 9)));
    expect(await down(null, request({ 'x-auth-token': 't' }))).toEqual({ kind: 'IdentityUnavailable', retryAfterSeconds: 9, cause });
  });

  it('rejects on an authenticator fault, with the fault cause as the error cause', async () => {
    const cause = new Error('keystone answered garbage');
    const broken = tokenIdentity(failing(storageFault(cause)));
    const rejected = await Promise.resolve(broken(null, request({ 'x-auth-token': 't' }))).then(
      () => null,
      (error: unknown) => error,
    );
    expect(rejected).toBeInstanceOf(Error);
    expect((rejected as Error).message).toMatch(/^authenticator fault/);
    expect((rejected as Error).cause).toBe(cause);
  });
});

function failing(error: StorageError): Authenticator {
  return { authenticate: () => errAsync(error) };
}
