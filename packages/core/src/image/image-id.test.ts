import { describe, expect, it } from 'vitest';
import { MAX_IMAGE_ID_LENGTH, opaqueImageIdFormat, uuidImageIdFormat } from './image-id.js';

describe('uuidImageIdFormat', () => {
  it('accepts any UUID version in canonical form and lower-cases it', () => {
    expect(uuidImageIdFormat.parse('6F1C6E3A-2B1D-4C5E-9F00-ABCDEF012345')).toBe('6f1c6e3a-2b1d-4c5e-9f00-abcdef012345');
    expect(uuidImageIdFormat.parse('00000000-0000-0000-0000-000000000000')).toBe('00000000-0000-0000-0000-000000000000');
    expect(uuidImageIdFormat.parse('1b4e28ba-2fa1-11d2-883f-0016d3cca427')).toBe('1b4e28ba-2fa1-11d2-883f-0016d3cca427');
  });

  it.each([
    ['empty', ''],
    ['no dashes', '6f1c6e3a2b1d4c5e9f00abcdef012345'],
    ['braces', '{6f1c6e3a-2b1d-4c5e-9f00-abcdef012345}'],
    ['urn', 'urn:uuid:6f1c6e3a-2b1d-4c5e-9f00-abcdef012345'],
    ['trailing newline', '6f1c6e3a-2b1d-4c5e-9f00-abcdef012345\n'],
    ['non-hex', '6f1c6e3a-2b1d-4c5e-9f00-abcdef01234g'],
    ['too long', 'a'.repeat(300)],
    ['unicode digits', '６f1c6e3a-2b1d-4c5e-9f00-abcdef012345'],
  ])('refuses %s', (_label, raw) => {
    expect(uuidImageIdFormat.parse(raw)).toBeNull();
  });
});

describe('opaqueImageIdFormat', () => {
  it('accepts ids of allowed characters up to the length cap and keeps case', () => {
    const format = opaqueImageIdFormat();
    expect(format.parse('Ubuntu-22.04_img')).toBe('Ubuntu-22.04_img');
    expect(format.parse('x'.repeat(MAX_IMAGE_ID_LENGTH))).toBe('x'.repeat(MAX_IMAGE_ID_LENGTH));
    expect(format.parse('x'.repeat(MAX_IMAGE_ID_LENGTH + 1))).toBeNull();
  });

  it('never lets a custom pattern match part of an id or exceed 255 characters', () => {
    const format = opaqueImageIdFormat({ pattern: /[a-z]+/, maxLength: 1000 });
    expect(format.parse('abc')).toBe('abc');
    expect(format.parse('abc/../etc')).toBeNull();
    expect(format.parse('a'.repeat(256))).toBeNull();
  });

  it('refuses slashes, dots-only traversal characters outside the set, and control characters', () => {
    const format = opaqueImageIdFormat();
    expect(format.parse('a/b')).toBeNull();
    expect(format.parse('a\u0000b')).toBeNull();
    expect(format.parse('')).toBeNull();
  });
});
