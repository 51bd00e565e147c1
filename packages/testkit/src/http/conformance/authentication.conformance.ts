// The HTTP conformance suite's authentication part: 401 for every missing or wrong credential, checked before anything else.
import { describe, expect, it } from 'vitest';
import { expectJsonFault } from '../fault-assertions.js';
import type { HttpConformanceFactory } from './conformance-target.js';
import { describeHttpConformanceParts, type ConformancePart } from './http-conformance-suite.js';

/** `2. authentication (401)`: missing, unknown and malformed credentials, Bearer tokens, authentication first. */
export const authenticationPart: ConformancePart = (c) => {
  const { url, unknownId, refusedMethod, request, expectNotDeleted } = c;
  describe('2. authentication (401)', () => {
    it('refuses a request without a token, with WWW-Authenticate', async () => {
      const id = await c.target.createImage({});
      const res = await request(id);
      const fault = await expectJsonFault(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate') ?? '').not.toBe('');
      expect(fault.message.length).toBeGreaterThan(0);
      await expectNotDeleted(id);
    });

    it.each([
      ['an unknown X-Auth-Token', { 'X-Auth-Token': 'not-a-known-token' }],
      ['an empty X-Auth-Token', { 'X-Auth-Token': '' }],
      ['an unknown bearer token', { Authorization: 'Bearer not-a-known-token' }],
      ['Basic credentials', { Authorization: 'Basic dXNlcjpwYXNz' }],
      ['a malformed Authorization header', { Authorization: 'Bearer' }],
      ['a 4 KiB token', { 'X-Auth-Token': 'x'.repeat(4096) }],
    ])('refuses %s', async (_what, headers) => {
      const res = await request(unknownId(), { headers });
      await expectJsonFault(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate') ?? '').not.toBe('');
    });

    it('accepts the token as Authorization: Bearer too', async () => {
      const id = await c.target.createImage({});
      const res = await fetch(url(id), { method: 'DELETE', headers: { Authorization: `Bearer ${c.target.tokens.ownerMember}` } });
      expect(res.status).toBe(204);
    });

    it('authenticates before anything else: no token beats a wrong method, a body and a malformed id', async () => {
      await expectJsonFault(await request(unknownId(), { method: refusedMethod() }), 401, 'unauthorized');
      await expectJsonFault(await request(unknownId(), { body: 'x' }), 401, 'unauthorized');
      await expectJsonFault(await request('not-an-id'), 401, 'unauthorized');
    });
  });
};

/** Runs only the authentication part of the HTTP conformance suite, against its own target. */
export function describeHttpConformanceAuthentication(name: string, factory: HttpConformanceFactory): void {
  describeHttpConformanceParts(name, factory, [authenticationPart]);
}
