// Static tokens and token extraction: the right principal or null, from X-Auth-Token or Bearer.
import type { Principal } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { credentialsFrom, MAX_TOKEN_LENGTH } from './credentials.js';
import { StaticTokenAuthenticator } from './static-token-authenticator.js';

const ALICE: Principal = { userId: 'alice', projectId: 'p1', roles: ['member'] };
const BOB: Principal = { userId: 'bob', projectId: null, roles: ['admin'] };

describe('StaticTokenAuthenticator', () => {
  it('finds the principal of a known token, from a map or a record', async () => {
    for (const auth of [
      new StaticTokenAuthenticator({ 'alice-token': ALICE, 'bob-token': BOB }),
      new StaticTokenAuthenticator(
        new Map<string, Principal>([
          ['alice-token', ALICE],
          ['bob-token', BOB],
        ]),
      ),
    ]) {
      expect((await auth.authenticate({ token: 'alice-token' }))._unsafeUnwrap()).toEqual(ALICE);
      expect((await auth.authenticate({ token: 'bob-token' }))._unsafeUnwrap()).toEqual(BOB);
    }
  });

  it('answers null for unknown tokens, prefixes, extensions and case changes', async () => {
    const auth = new StaticTokenAuthenticator({ 'alice-token': ALICE });
    for (const token of ['', 'alice', 'alice-token ', 'alice-tokenx', 'ALICE-TOKEN', 'x'.repeat(10_000)]) {
      expect((await auth.authenticate({ token }))._unsafeUnwrap()).toBeNull();
    }
    expect((await new StaticTokenAuthenticator({}).authenticate({ token: 'alice-token' }))._unsafeUnwrap()).toBeNull();
  });

  it('tells apart every token of a large map, and tokens one character apart', async () => {
    const tokens = new Map<string, Principal>();
    for (let i = 0; i < 20_000; i++) tokens.set(`token-${i}`, { userId: `user-${i}`, projectId: `p-${i % 7}`, roles: ['member'] });
    tokens.set('tokén', BOB);
    const auth = new StaticTokenAuthenticator(tokens);
    for (const i of [0, 1, 9_999, 10_000, 19_999]) {
      expect((await auth.authenticate({ token: `token-${i}` }))._unsafeUnwrap()?.userId).toBe(`user-${i}`);
    }
    expect((await auth.authenticate({ token: 'tokén' }))._unsafeUnwrap()).toEqual(BOB);
    for (const token of ['token-20000', 'token-', 'token-01', 'token', 'tokén'.normalize('NFD'), 'Token-1']) {
      expect((await auth.authenticate({ token }))._unsafeUnwrap()).toBeNull();
    }
  });

  it('does not let callers change the principals it holds', async () => {
    const roles = ['member'];
    const auth = new StaticTokenAuthenticator({ t: { userId: 'u', projectId: 'p', roles } });
    roles.push('admin');
    expect((await auth.authenticate({ token: 't' }))._unsafeUnwrap()?.roles).toEqual(['member']);
  });
});

describe('credentialsFrom', () => {
  const from = (headers: Record<string, string>) => credentialsFrom((name) => headers[name] ?? null);

  it('reads X-Auth-Token, then Authorization: Bearer', () => {
    expect(from({ 'x-auth-token': 'abc' })).toEqual({ token: 'abc' });
    expect(from({ authorization: 'Bearer abc' })).toEqual({ token: 'abc' });
    expect(from({ authorization: 'bearer   abc' })).toEqual({ token: 'abc' });
    expect(from({ 'x-auth-token': 'one', authorization: 'Bearer two' })).toEqual({ token: 'one' });
    expect(from({ 'x-auth-token': '', authorization: 'Bearer two' })).toEqual({ token: 'two' });
  });

  it.each<Record<string, string>>([
    {},
    { authorization: 'Basic dXNlcjpwYXNz' },
    { authorization: 'Bearer' },
    { authorization: 'Bearer a b' },
    { authorization: 'Bearer a, Bearer b' },
    { 'x-auth-token': '   ' },
    { 'x-auth-token': 'x'.repeat(MAX_TOKEN_LENGTH + 1) },
  ])('finds no token in %j', (headers) => {
    expect(from(headers)).toBeNull();
  });
});
