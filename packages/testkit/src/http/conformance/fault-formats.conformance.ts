// The HTTP conformance suite's fault-formats part: faults negotiated by Accept (JSON, problem+json or text/plain).
import { describe, expect, it } from 'vitest';
import { expectJsonFault } from '../fault-assertions.js';
import type { HttpConformanceFactory } from './conformance-target.js';
import { describeHttpConformanceParts, type ConformancePart } from './http-conformance-suite.js';

/** `fault formats (Accept)`: JSON by default and for odd Accept headers, RFC 9457 and text/plain when asked. */
export const faultFormatsPart: ConformancePart = (c) => {
  const { unknownId, refusedMethod, request } = c;
  describe('fault formats (Accept)', () => {
    const notFound = (accept?: string) =>
      request(unknownId(), { token: c.target.tokens.admin, headers: accept === undefined ? {} : { Accept: accept } });

    it.each([
      ['no Accept', undefined],
      ['application/json', 'application/json'],
      ['*/*', '*/*'],
      ['a garbage Accept', 'this is ; not a media type,,;q=x'],
      ['an unsatisfiable Accept', 'text/html, image/png'],
      ['text/plain at a lower q than JSON', 'text/plain;q=0.5, application/json'],
    ])('answers JSON for %s', async (_what, accept) => {
      await expectJsonFault(await notFound(accept), 404, 'itemNotFound');
    });

    it('answers application/problem+json (RFC 9457) when asked', async () => {
      const res = await notFound('application/problem+json');
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json\b/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 404, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
      expect(body.requestId).toBe(res.headers.get('x-openstack-request-id'));
    });

    it('answers text/plain as "<code> <reason>\\n\\n<message>" when only text/plain is accepted', async () => {
      const res = await notFound('text/plain');
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type') ?? '').toMatch(/^text\/plain\b/);
      expect(await res.text()).toMatch(/^404 Not Found\n\n\S/);
    });

    it('negotiates every fault, e.g. 401 and 405 as text', async () => {
      const unauthorized = await request(unknownId(), { headers: { Accept: 'text/plain' } });
      expect(unauthorized.status).toBe(401);
      expect(await unauthorized.text()).toMatch(/^401 Unauthorized\n\n\S/);
      const bad = await request(unknownId(), { method: refusedMethod(), token: c.target.tokens.admin, headers: { Accept: 'text/plain' } });
      expect(bad.status).toBe(405);
      expect(await bad.text()).toMatch(/^405 Method Not Allowed\n\n\S/);
    });
  });
};

/** Runs only the fault formats part of the HTTP conformance suite, against its own target. */
export function describeHttpConformanceFaultFormats(name: string, factory: HttpConformanceFactory): void {
  describeHttpConformanceParts(name, factory, [faultFormatsPart]);
}
