// The HTTP conformance suite's rate-limit part: over the limit, 413 (or 429) with Retry-After, per project.
import { describe, expect, it } from 'vitest';
import { expectJsonFault } from '../fault-assertions.js';
import type { HttpConformanceFactory } from './conformance-target.js';
import { describeHttpConformanceParts, type ConformancePart } from './http-conformance-suite.js';

/** `4. rate limit`: past the limit, Retry-After and retryAfter / retryAt, other projects unaffected. */
export const rateLimitPart: ConformancePart = (c) => {
  const { unknownId, request } = c;
  describe('4. rate limit (413 Over Limit, or 429 when configured)', () => {
    it('refuses past the limit with Retry-After and retryAfter / retryAt, per project', async (ctx) => {
      const limited = c.target.rateLimited;
      if (!limited) {
        ctx.skip();
        return;
      }
      const status = limited.status ?? 413;
      for (let i = 0; i < limited.limit; i++) {
        const res = await request(unknownId(), { token: limited.token });
        expect(res.status, `request ${i + 1} of ${limited.limit} is within the limit`).toBe(404);
        await res.body?.cancel();
      }
      const res = await request(unknownId(), { token: limited.token });
      const fault = await expectJsonFault(res, status, 'overLimit');
      const retryAfter = res.headers.get('retry-after') ?? '';
      expect(retryAfter).toMatch(/^\d+$/);
      expect(fault.detail.retryAfter).toBe(Number(retryAfter));
      expect(typeof fault.detail.retryAt).toBe('string');
      expect(Number.isNaN(Date.parse(fault.detail.retryAt as string))).toBe(false);
      // Another project is not affected.
      const other = await request(unknownId(), { token: c.target.tokens.otherProject });
      expect(other.status).toBe(404);
    });
  });
};

/** Runs only the rate limit part of the HTTP conformance suite, against its own target. */
export function describeHttpConformanceRateLimit(name: string, factory: HttpConformanceFactory): void {
  describeHttpConformanceParts(name, factory, [rateLimitPart]);
}
