// The HTTP conformance suite's request-ids part: x-openstack-request-id kept when well-formed, replaced otherwise, one per response.
import { describe, expect, it } from 'vitest';
import { expectJsonFault } from '../fault-assertions.js';
import type { HttpConformanceFactory } from './conformance-target.js';
import { describeHttpConformanceParts, type ConformancePart } from './http-conformance-suite.js';

/** `request ids`: an incoming req-<uuid> kept, anything else replaced, every response its own. */
export const requestIdsPart: ConformancePart = (c) => {
  const { unknownId, request } = c;
  describe('request ids', () => {
    it('keeps an incoming req-<uuid> on faults and on 204, and the body repeats it', async () => {
      const incoming = `req-${globalThis.crypto.randomUUID()}`;
      const fault = await expectJsonFault(
        await request(unknownId(), { token: c.target.tokens.admin, headers: { 'x-openstack-request-id': incoming } }),
        404,
        'itemNotFound',
      );
      expect(fault.requestId).toBe(incoming);
      const id = await c.target.createImage({});
      const ok = await request(id, { token: c.target.tokens.ownerMember, headers: { 'x-openstack-request-id': incoming } });
      expect(ok.status).toBe(204);
      expect(ok.headers.get('x-openstack-request-id')).toBe(incoming);
    });

    it.each([
      ['a short id', 'req-123'],
      ['a bare uuid', '6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e'],
      ['a uuid with trailing text', 'req-6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e-x'],
      ['an injection attempt', 'req-6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e<script>'],
      ['empty', ''],
    ])('replaces %s with a fresh req-<uuid>', async (_what, incoming) => {
      const fault = await expectJsonFault(
        await request(unknownId(), { token: c.target.tokens.admin, headers: { 'x-openstack-request-id': incoming } }),
        404,
        'itemNotFound',
      );
      expect(fault.requestId).not.toBe(incoming);
    });

    it('gives every response its own id', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const res = await request(unknownId());
        ids.add(res.headers.get('x-openstack-request-id') ?? '');
        await res.body?.cancel();
      }
      expect(ids.size).toBe(5);
    });
  });
};

/** Runs only the request ids part of the HTTP conformance suite, against its own target. */
export function describeHttpConformanceRequestIds(name: string, factory: HttpConformanceFactory): void {
  describeHttpConformanceParts(name, factory, [requestIdsPart]);
}
