// Route matching and id-segment decoding: what is this handler's, and what can never be an id.
import { describe, expect, it } from 'vitest';
import { pathOfTarget } from './images-request.js';
import { decodeImageIdSegment, matchImagesRoute, normaliseBasePath } from './images-route.js';

describe('matchImagesRoute', () => {
  it('matches exactly one non-empty segment below {basePath}/images/', () => {
    expect(matchImagesRoute('/v2/images/abc', '/v2')).toBe('abc');
    expect(matchImagesRoute('/v2/images/%2F', '/v2')).toBe('%2F');
    expect(matchImagesRoute('/images/abc', '')).toBe('abc');
    for (const path of ['/v2/images/', '/v2/images', '/v2/images/a/b', '/v2/images/a/', '/V2/images/a', '/v2/imagesx/a', '']) {
      expect(matchImagesRoute(path, '/v2')).toBeNull();
    }
  });

  it('normalises base paths', () => {
    expect(normaliseBasePath(undefined)).toBe('');
    expect(normaliseBasePath('/')).toBe('');
    expect(normaliseBasePath('v2/')).toBe('/v2');
    expect(normaliseBasePath('/api/v2//')).toBe('/api/v2');
  });
});

describe('pathOfTarget', () => {
  it.each([
    ['/v2/images/a?x=1#f', '/v2/images/a'],
    ['/v2/images/a#f', '/v2/images/a'],
    ['http://h/v2/images/a?x', '/v2/images/a'],
    ['*', ''],
    ['http://[bad', ''],
    ['', ''],
  ])('%j → %j', (target, path) => {
    expect(pathOfTarget(target)).toBe(path);
  });
});

describe('decodeImageIdSegment', () => {
  it('decodes percent-encoding and keeps unicode for the id format to judge', () => {
    expect(decodeImageIdSegment('6F1D3C1E-0a55-4a0e-9d4b-1c2a3b4c5d6e')).toBe('6F1D3C1E-0a55-4a0e-9d4b-1c2a3b4c5d6e');
    expect(decodeImageIdSegment('a%3Ab')).toBe('a:b');
    expect(decodeImageIdSegment('caf%C3%A9')).toBe('café');
    expect(decodeImageIdSegment('a'.repeat(255))).toBe('a'.repeat(255));
  });

  it.each([
    '%',
    '%zz',
    'a%2',
    '%E0%A4%A',
    '%C0%AF',
    '%ED%A0%80',
    '%2F',
    'a%2fb',
    '%00',
    '%0A',
    '%7F',
    '%C2%85',
    '%1F',
    'a'.repeat(256),
    '%41'.repeat(256),
    'x'.repeat(100_000),
    '',
  ])('refuses %j', (segment) => {
    expect(decodeImageIdSegment(segment)).toBeNull();
  });
});
