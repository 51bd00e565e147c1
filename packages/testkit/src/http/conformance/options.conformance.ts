// The HTTP conformance suite's OPTIONS part: 204 with Allow, answered before authentication.
import { describe, expect, it } from 'vitest';
import { allowedMethods, REQUEST_ID_PATTERN } from '../fault-assertions.js';
import type { HttpConformanceFactory } from './conformance-target.js';
import { describeHttpConformanceParts, type ConformancePart } from './http-conformance-suite.js';

/** `1. OPTIONS`: answered without authentication, whatever the id. */
export const optionsPart: ConformancePart = (c) => {
  const { url, unknownId } = c;
  describe('1. OPTIONS', () => {
    it('answers 204 with Allow: DELETE, OPTIONS, without authentication, with a request id', async () => {
      const res = await fetch(url(unknownId()), { method: 'OPTIONS' });
      expect(res.status).toBe(204);
      expect(allowedMethods(res)).toEqual(expect.arrayContaining(['DELETE', 'OPTIONS']));
      expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID_PATTERN);
      expect(await res.text()).toBe('');
    });

    it('answers OPTIONS even for a malformed id and an invalid token', async () => {
      const res = await fetch(url('not-an-id'), { method: 'OPTIONS', headers: { 'X-Auth-Token': 'wrong' } });
      expect(res.status).toBe(204);
      expect(allowedMethods(res)).toContain('DELETE');
    });
  });
};

/** Runs only the options part of the HTTP conformance suite, against its own target. */
export function describeHttpConformanceOptions(name: string, factory: HttpConformanceFactory): void {
  describeHttpConformanceParts(name, factory, [optionsPart]);
}
