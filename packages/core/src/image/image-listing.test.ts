// listLimit and listingViewer: the page size and the visibility filter every adapter's listImages uses.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIST_LIMIT, listingViewer, listLimit, MAX_LIST_LIMIT } from './image-listing.js';

describe('listLimit', () => {
  it('is 25 when absent, at most 1000, whole, and 0 for nonsense', () => {
    expect(listLimit(undefined)).toBe(DEFAULT_LIST_LIMIT);
    expect(DEFAULT_LIST_LIMIT).toBe(25);
    expect(listLimit(5000)).toBe(MAX_LIST_LIMIT);
    expect(MAX_LIST_LIMIT).toBe(1000);
    expect(listLimit(Infinity)).toBe(1000);
    expect(listLimit(7.9)).toBe(7);
    expect(listLimit(0)).toBe(0);
    expect(listLimit(-3)).toBe(0);
    expect(listLimit(Number.NaN)).toBe(0);
  });
});

describe('listingViewer', () => {
  it('lists everything for no principal or an admin (role compared case-insensitively), else by project', () => {
    expect(listingViewer(undefined)).toEqual({ all: true, project: null });
    expect(listingViewer({ userId: 'u', projectId: 'p', roles: ['Admin'] })).toEqual({ all: true, project: null });
    expect(listingViewer({ userId: 'u', projectId: 'p', roles: ['member'] })).toEqual({ all: false, project: 'p' });
    expect(listingViewer({ userId: 'u', projectId: null, roles: ['member'] })).toEqual({ all: false, project: null });
  });
});
