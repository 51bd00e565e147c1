// The HTTP conformance suite's methods part: 405 with Allow for every method but DELETE and OPTIONS, checked before the body and the id.
import { describe, expect, it } from 'vitest';
import { allowedMethods, expectJsonFault, REQUEST_ID_PATTERN } from '../fault-assertions.js';
import type { HttpConformanceFactory } from './conformance-target.js';
import { describeHttpConformanceParts, type ConformancePart } from './http-conformance-suite.js';

/** `3. method (405)`: refused methods, HEAD, the method checked before the body and the id. */
export const methodsPart: ConformancePart = (c) => {
  const { unknownId, hostServes, request, expectNotDeleted } = c;
  describe('3. method (405)', () => {
    it.for(['GET', 'PUT', 'POST', 'PATCH'])('answers %s with 405 and Allow, and deletes nothing', async (method, ctx) => {
      if (hostServes(method)) {
        ctx.skip();
        return;
      }
      const id = await c.target.createImage({});
      const res = await request(id, { method, token: c.target.tokens.ownerMember });
      await expectJsonFault(res, 405, 'badMethod');
      expect(allowedMethods(res)).toEqual(
        expect.arrayContaining(['DELETE', 'OPTIONS', ...(c.target.hostMethods ?? []).map((m) => m.toUpperCase())]),
      );
      await expectNotDeleted(id);
    });

    it('answers HEAD with 405 and Allow (and no body)', async (ctx) => {
      if (hostServes('HEAD')) {
        ctx.skip();
        return;
      }
      const res = await request(unknownId(), { method: 'HEAD', token: c.target.tokens.ownerMember });
      expect(res.status).toBe(405);
      expect(allowedMethods(res)).toContain('DELETE');
      expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID_PATTERN);
    });

    it('checks the method before the body and the id', async () => {
      await expectJsonFault(
        await request('not-an-id', { method: 'POST', body: 'x', token: c.target.tokens.ownerMember }),
        405,
        'badMethod',
      );
    });
  });
};

/** Runs only the methods part of the HTTP conformance suite, against its own target. */
export function describeHttpConformanceMethods(name: string, factory: HttpConformanceFactory): void {
  describeHttpConformanceParts(name, factory, [methodsPart]);
}
