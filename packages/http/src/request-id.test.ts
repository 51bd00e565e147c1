// Request ids: exactly `req-<uuid>` is kept, anything else replaced.
import { describe, expect, it } from 'vitest';
import { isRequestId, newRequestId, requestIdFor } from './request-id.js';

describe('request ids', () => {
  it('mints req-<uuid>', () => {
    expect(isRequestId(newRequestId())).toBe(true);
    expect(newRequestId()).not.toBe(newRequestId());
  });

  it('keeps exactly req-<uuid>, hex digits in any case', () => {
    const id = 'req-6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e';
    expect(requestIdFor(id)).toBe(id);
    const upper = 'req-6F1D3C1E-0A55-4A0E-9D4B-1C2A3B4C5D6E';
    expect(requestIdFor(upper)).toBe(upper);
  });

  it.each([
    null,
    undefined,
    '',
    'req-',
    'REQ-6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e',
    'req-6f1d3c1e0a554a0e9d4b1c2a3b4c5d6e',
    'req-6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6g',
    'x'.repeat(10_000),
  ])('replaces %j', (incoming) => {
    const id = requestIdFor(incoming);
    expect(id).not.toBe(incoming);
    expect(isRequestId(id)).toBe(true);
  });
});
