// The HTTP conformance suite's hostile-input part: hostile ids, raw request targets and oversized headers get a documented 4xx, never a 5xx, and leak nothing.
import { describe, expect, it } from 'vitest';
import { DOCUMENTED_STATUSES, expectJsonFault, expectNothingLeaked, REQUEST_ID_PATTERN } from '../fault-assertions.js';
import { HOSTILE_ID_SEGMENTS, UNICODE_ID_SEGMENTS } from '../hostile-inputs.js';
import { rawHttpRequest } from '../raw-http-request.js';
import type { HttpConformanceFactory } from './conformance-target.js';
import { describeHttpConformanceParts, type ConformancePart } from './http-conformance-suite.js';

/** `hostile input (behaviour.md §10)`: documented 4xx, nothing leaked. */
export const hostileInputPart: ConformancePart = (c) => {
  const { unknownId, request, rawPath, hostHeader } = c;
  describe('hostile input (behaviour.md §10): documented 4xx, nothing leaked', () => {
    it.each(HOSTILE_ID_SEGMENTS.map((s) => [s.length > 60 ? `${s.slice(0, 40)}… (${s.length} chars)` : s, s]))(
      'DELETE /images/%s',
      async (_label, segment) => {
        const res = await request(segment, { token: c.target.tokens.admin });
        const text = await res.text();
        expect([400, 404], `${res.status}: ${text.slice(0, 200)}`).toContain(res.status);
        expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID_PATTERN);
        expectNothingLeaked(text, segment);
      },
    );

    it.each(UNICODE_ID_SEGMENTS)('DELETE /images/%s (unicode)', async (segment) => {
      const res = await request(segment, { token: c.target.tokens.admin });
      const text = await res.text();
      expect([400, 404]).toContain(res.status);
      expectNothingLeaked(text, encodeURIComponent(segment));
      expect(text).not.toContain(segment);
    });

    it.each([
      ['a dot segment', '..'],
      ['a lone percent sign', '%'],
      ['truncated UTF-8', '%E2%82'],
      ['raw UTF-8 bytes', 'caf\u00e9'],
      ['a NUL escape', '%00'],
    ])('answers %s in the raw request target with a documented 4xx', async (_what, segment) => {
      const res = await rawHttpRequest(
        c.base,
        Buffer.from(
          `DELETE ${rawPath(segment)} HTTP/1.1\r\nHost: ${hostHeader()}\r\nX-Auth-Token: ${c.target.tokens.admin}\r\nConnection: close\r\n\r\n`,
          'utf8',
        ),
      );
      expect(res.status).not.toBeNull();
      expect(DOCUMENTED_STATUSES).toContain(res.status);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectNothingLeaked(res.body, segment);
    });

    it('never answers an unparseable request with a 5xx', async () => {
      for (const line of ['DELETE /images/a b HTTP/1.1', 'DELETE /images/\u0001 HTTP/1.1', 'DEL\u0000ETE / HTTP/1.1', 'GARBAGE']) {
        const res = await rawHttpRequest(c.base, Buffer.from(`${line}\r\nHost: ${hostHeader()}\r\nConnection: close\r\n\r\n`, 'latin1'));
        if (res.status !== null) expect(res.status, line).toBeLessThan(500);
      }
    });

    it('handles large headers within server limits normally', async () => {
      const res = await request(unknownId(), { token: c.target.tokens.admin, headers: { 'X-Padding': 'p'.repeat(8 * 1024) } });
      await expectJsonFault(res, 404, 'itemNotFound');
    });

    it('answers headers beyond server limits with a documented 4xx (or closes), never a 5xx', async () => {
      const res = await rawHttpRequest(
        c.base,
        `DELETE ${rawPath(unknownId())} HTTP/1.1\r\nHost: ${hostHeader()}\r\nX-Auth-Token: ${c.target.tokens.admin}\r\nX-Padding: ${'p'.repeat(64 * 1024)}\r\nConnection: close\r\n\r\n`,
      );
      if (res.status !== null) {
        // node:http answers 431 by default; `createClientErrorListener()` keeps it a documented 400.
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(DOCUMENTED_STATUSES).toContain(res.status);
        expectNothingLeaked(res.body);
      }
    });
  });
};

/** Runs only the hostile input part of the HTTP conformance suite, against its own target. */
export function describeHttpConformanceHostileInput(name: string, factory: HttpConformanceFactory): void {
  describeHttpConformanceParts(name, factory, [hostileInputPart]);
}
