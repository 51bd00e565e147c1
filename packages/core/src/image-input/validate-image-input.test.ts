// What the catalog accepts: each field's rules, the failure's shape and message, and the text rules against a reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NewImage } from '../image/new-image.js';
import type { ImagePatch } from '../ports/image-catalog.port.js';
import { IMAGE_INPUT_LIMITS } from './image-input-limits.js';
import type { InvalidImageInput } from './invalid-image-input.js';
import { validateImageIdText, validateImagePatch, validateMemberId, validateNameFilter, validateNewImage } from './validate-image-input.js';

const ID = '6f1c6e3a-2b1d-4c5e-9f00-abcdef012345';
const base: NewImage = { id: ID, owner: 'p1' };
const EMOJI = '\u{1F600}';

function refused(
  result: { isErr(): boolean } & ({ error: InvalidImageInput } | { value: unknown }),
): Pick<InvalidImageInput, 'field' | 'reason'> {
  if (!('error' in result)) return expect.fail(`expected a refusal, got ${JSON.stringify(result.value)}`);
  expect(result.error.kind).toBe('InvalidImageInput');
  return { field: result.error.field, reason: result.error.reason };
}

describe('validateNewImage', () => {
  it('accepts a minimal image and a complete one, answering the input itself', () => {
    expect(validateNewImage(base)._unsafeUnwrap()).toBe(base);
    const full: NewImage = {
      ...base,
      name: 'x'.repeat(255),
      status: 'active',
      visibility: 'community',
      protected: true,
      size: Number.MAX_SAFE_INTEGER,
      virtualSize: 0,
      checksum: 'c'.repeat(32),
      osHashAlgo: 'a'.repeat(64),
      osHashValue: 'h'.repeat(128),
      diskFormat: 'qcow2',
      containerFormat: 'bare',
      minDisk: 2_147_483_647,
      minRam: 0,
      tags: ['t'.repeat(255), 'b'],
      properties: { ['k'.repeat(255)]: 'v'.repeat(65_535), empty: '' },
      members: [{ memberId: 'm'.repeat(255), status: 'accepted' }, { memberId: 'p2' }],
      locations: [{ id: 'l1', url: 'file:///images/1', metadata: { store: 'file' } }, { url: 'file:///images/2' }],
    };
    expect(validateNewImage(full).isOk()).toBe(true);
  });

  it('allows null where Glance allows it: name, owner, size, digests and formats', () => {
    const nulls: NewImage = {
      ...base,
      owner: null,
      name: null,
      size: null,
      virtualSize: null,
      checksum: null,
      osHashAlgo: null,
      osHashValue: null,
      diskFormat: null,
      containerFormat: null,
    };
    expect(validateNewImage(nulls).isOk()).toBe(true);
  });

  it.each<[string, Partial<NewImage>, InvalidImageInput['field']]>([
    ['id', { id: `a\0b` }, 'id'],
    ['name', { name: `a\0b` }, 'name'],
    ['owner', { owner: `p\0` }, 'owner'],
    ['checksum', { checksum: '\0' }, 'checksum'],
    ['os_hash_algo', { osHashAlgo: '\0' }, 'osHashAlgo'],
    ['os_hash_value', { osHashValue: '\0' }, 'osHashValue'],
    ['a tag', { tags: ['ok', `t\0`] }, 'tags'],
    ['a property name', { properties: { [`k\0x`]: 'v' } }, 'propertyKey'],
    ['a property value', { properties: { k: `v\0` } }, 'propertyValue'],
    ['a member id', { members: [{ memberId: `m\0` }] }, 'memberId'],
    ['a location id', { locations: [{ id: '\0', url: 'file:///x' }] }, 'locationId'],
    ['a location url', { locations: [{ url: 'file:///x\0' }] }, 'locationUrl'],
    ['location metadata', { locations: [{ url: 'file:///x', metadata: { k: '\0' } }] }, 'locationMetadata'],
  ])('refuses U+0000 in %s', (_what, patch, field) => {
    expect(refused(validateNewImage({ ...base, ...patch }))).toEqual({ field, reason: 'ContainsNul' });
  });

  it.each<[string, Partial<NewImage>, InvalidImageInput['field']]>([
    ['a lone high surrogate in the name', { name: 'a\uD800' }, 'name'],
    ['a lone low surrogate in a tag', { tags: ['\uDC00x'] }, 'tags'],
    ['reversed surrogates in a property value', { properties: { k: '\uDC00\uD800' } }, 'propertyValue'],
    ['a lone surrogate in a property name', { properties: { ['\uD83D']: 'v' } }, 'propertyKey'],
  ])('refuses %s', (_what, patch, field) => {
    expect(refused(validateNewImage({ ...base, ...patch }))).toEqual({ field, reason: 'LoneSurrogate' });
  });

  it.each<[string, Partial<NewImage>, InvalidImageInput['field']]>([
    ['id', { id: 'i'.repeat(256) }, 'id'],
    ['name', { name: 'n'.repeat(256) }, 'name'],
    ['owner', { owner: 'o'.repeat(256) }, 'owner'],
    ['checksum', { checksum: 'c'.repeat(33) }, 'checksum'],
    ['os_hash_algo', { osHashAlgo: 'a'.repeat(65) }, 'osHashAlgo'],
    ['os_hash_value', { osHashValue: 'h'.repeat(129) }, 'osHashValue'],
    ['a tag', { tags: ['t'.repeat(256)] }, 'tags'],
    ['a property name', { properties: { ['k'.repeat(256)]: 'v' } }, 'propertyKey'],
    ['a property value', { properties: { k: 'v'.repeat(65_536) } }, 'propertyValue'],
    ['a member id', { members: [{ memberId: 'm'.repeat(256) }] }, 'memberId'],
    ['a location url', { locations: [{ url: 'u'.repeat(2049) }] }, 'locationUrl'],
    ['a name far too long to scan', { name: 'n'.repeat(1_000_000) }, 'name'],
  ])('refuses an over-long %s', (_what, patch, field) => {
    expect(refused(validateNewImage({ ...base, ...patch }))).toEqual({ field, reason: 'TooLong' });
  });

  it('counts code points, as Glance does: 255 emoji are a valid name, 256 are not', () => {
    expect(validateNewImage({ ...base, name: EMOJI.repeat(255) }).isOk()).toBe(true);
    expect(refused(validateNewImage({ ...base, name: EMOJI.repeat(256) }))).toEqual({ field: 'name', reason: 'TooLong' });
  });

  it.each<[string, Partial<NewImage>, InvalidImageInput['field']]>([
    ['id', { id: '' }, 'id'],
    ['owner', { owner: '' }, 'owner'],
    ['tag', { tags: [''] }, 'tags'],
    ['property name', { properties: { '': 'v' } }, 'propertyKey'],
    ['member id', { members: [{ memberId: '' }] }, 'memberId'],
    ['location url', { locations: [{ url: '' }] }, 'locationUrl'],
  ])('refuses an empty %s', (_what, patch, field) => {
    expect(refused(validateNewImage({ ...base, ...patch }))).toEqual({ field, reason: 'Empty' });
  });

  it('accepts an empty name and an empty property value (Glance does)', () => {
    expect(validateNewImage({ ...base, name: '', properties: { k: '' } }).isOk()).toBe(true);
  });

  it.each<[string, Record<string, unknown>, InvalidImageInput['field']]>([
    ['status', { status: 'gone' }, 'status'],
    ['visibility', { visibility: 'everyone' }, 'visibility'],
    ['disk_format', { diskFormat: 'qcow3' }, 'diskFormat'],
    ['container_format', { containerFormat: 'zip' }, 'containerFormat'],
    ['member status', { members: [{ memberId: 'p2', status: 'maybe' }] }, 'memberStatus'],
  ])('refuses a %s outside its enumeration', (_what, patch, field) => {
    expect(refused(validateNewImage({ ...base, ...patch } as NewImage))).toEqual({ field, reason: 'NotAllowed' });
  });

  it.each<[string, Record<string, unknown>, InvalidImageInput['field']]>([
    ['a negative size', { size: -1 }, 'size'],
    ['a fractional virtual size', { virtualSize: 1.5 }, 'virtualSize'],
    ['an unsafe size', { size: 2 ** 53 }, 'size'],
    ['min_disk over 2^31 - 1', { minDisk: 2_147_483_648 }, 'minDisk'],
    ['a negative min_ram', { minRam: -1 }, 'minRam'],
    ['NaN min_ram', { minRam: Number.NaN }, 'minRam'],
  ])('refuses %s', (_what, patch, field) => {
    expect(refused(validateNewImage({ ...base, ...patch } as NewImage))).toEqual({ field, reason: 'OutOfRange' });
  });

  it.each<[string, unknown, InvalidImageInput['field']]>([
    ['no object at all', null, 'image'],
    ['a numeric name', { ...base, name: 42 }, 'name'],
    ['a missing owner', { id: ID }, 'owner'],
    ['a string for protected', { ...base, protected: 'yes' }, 'protected'],
    ['a string size', { ...base, size: '1' }, 'size'],
    ['tags that are not a list', { ...base, tags: 'a,b' }, 'tags'],
    ['a numeric tag', { ...base, tags: [1] }, 'tags'],
    ['properties that are a list', { ...base, properties: ['v'] }, 'properties'],
    ['a numeric property value', { ...base, properties: { k: 1 } }, 'propertyValue'],
    ['members that are not objects', { ...base, members: ['p2'] }, 'members'],
    ['locations that are not a list', { ...base, locations: {} }, 'locations'],
  ])('refuses %s as WrongType', (_what, input, field) => {
    expect(refused(validateNewImage(input as NewImage))).toEqual({ field, reason: 'WrongType' });
  });

  it('refuses a member or a location id given twice (SQL stores would keep one, memory both)', () => {
    expect(refused(validateNewImage({ ...base, members: [{ memberId: 'p2' }, { memberId: 'p2', status: 'accepted' }] }))).toEqual({
      field: 'memberId',
      reason: 'Duplicate',
    });
    expect(
      refused(
        validateNewImage({
          ...base,
          locations: [
            { id: 'l', url: 'a://1' },
            { id: 'l', url: 'a://2' },
          ],
        }),
      ),
    ).toEqual({ field: 'locationId', reason: 'Duplicate' });
    expect(
      validateNewImage({
        ...base,
        members: [{ memberId: 'p2' }, { memberId: 'P2' }],
        locations: [{ url: 'a://1' }, { url: 'a://1' }],
      }).isOk(),
    ).toBe(true);
  });

  it('reports the first problem in field order', () => {
    expect(refused(validateNewImage({ ...base, name: '\0', tags: ['\0'] }))).toEqual({ field: 'name', reason: 'ContainsNul' });
  });

  it('says what is wrong in a message a client may read, in Glance wire names, never echoing the value', () => {
    const hostile = `<script>${'\0'}`;
    const cases: [Partial<NewImage>, string][] = [
      [{ name: hostile }, "Invalid value for 'name': must not contain the character U+0000."],
      [
        { diskFormat: hostile },
        "Invalid value for 'disk_format': must be one of ami, ari, aki, vhd, vhdx, vmdk, raw, qcow2, vdi, iso, ploop.",
      ],
      [{ properties: { [hostile]: 'v' } }, 'Invalid property name: must not contain the character U+0000.'],
      [{ tags: ['t'.repeat(256)] }, "Invalid value for 'tags': must be at most 255 characters."],
      [{ minRam: -1 }, "Invalid value for 'min_ram': must be a whole number from 0 to 2147483647."],
    ];
    for (const [patch, message] of cases) {
      const result = validateNewImage({ ...base, ...patch });
      expect(result._unsafeUnwrapErr().message).toBe(message);
      expect(result._unsafeUnwrapErr().message).not.toContain('<script>');
    }
  });
});

describe('validateImagePatch', () => {
  it('accepts every field within its rules, and an empty patch', () => {
    for (const patch of [
      {},
      { name: null },
      { name: '' },
      { name: EMOJI.repeat(255) },
      { visibility: 'public' },
      { protected: false },
      { status: 'deactivated' },
    ] as ImagePatch[]) {
      expect(validateImagePatch(patch)._unsafeUnwrap()).toBe(patch);
    }
  });

  it.each<[string, unknown, Pick<InvalidImageInput, 'field' | 'reason'>]>([
    ['a name with U+0000', { name: 'a\0' }, { field: 'name', reason: 'ContainsNul' }],
    ['a name with a lone surrogate', { name: '\uD800' }, { field: 'name', reason: 'LoneSurrogate' }],
    ['an over-long name', { name: 'n'.repeat(256) }, { field: 'name', reason: 'TooLong' }],
    ['an unknown visibility', { visibility: 'all' }, { field: 'visibility', reason: 'NotAllowed' }],
    ['a string for protected', { protected: 'true' }, { field: 'protected', reason: 'WrongType' }],
    ['an unknown status', { status: 'gone' }, { field: 'status', reason: 'NotAllowed' }],
    ['no object', 'name', { field: 'patch', reason: 'WrongType' }],
  ])('refuses %s', (_what, patch, expected) => {
    expect(refused(validateImagePatch(patch as ImagePatch))).toEqual(expected);
  });
});

describe('validateMemberId, validateNameFilter, validateImageIdText', () => {
  it('member ids: 1 to 255 characters, no U+0000, well-formed', () => {
    expect(validateMemberId('m'.repeat(255))._unsafeUnwrap()).toBe('m'.repeat(255));
    expect(refused(validateMemberId(''))).toEqual({ field: 'memberId', reason: 'Empty' });
    expect(refused(validateMemberId('m'.repeat(256)))).toEqual({ field: 'memberId', reason: 'TooLong' });
    expect(refused(validateMemberId('p\0'))).toEqual({ field: 'memberId', reason: 'ContainsNul' });
    expect(refused(validateMemberId('\uDFFF'))).toEqual({ field: 'memberId', reason: 'LoneSurrogate' });
  });

  it('a name filter follows the rules of a name, the empty filter included', () => {
    expect(validateNameFilter('')._unsafeUnwrap()).toBe('');
    expect(validateNameFilter(EMOJI.repeat(255)).isOk()).toBe(true);
    expect(refused(validateNameFilter('a\0'))).toEqual({ field: 'nameFilter', reason: 'ContainsNul' });
    expect(refused(validateNameFilter('n'.repeat(256)))).toEqual({ field: 'nameFilter', reason: 'TooLong' });
    expect(validateNameFilter('\0')._unsafeUnwrapErr().message).toBe(
      "Invalid value for the 'name' filter: must not contain the character U+0000.",
    );
  });

  it('an image id a caller refers to: 1 to 255 characters, no U+0000', () => {
    expect(validateImageIdText(ID)._unsafeUnwrap()).toBe(ID);
    expect(refused(validateImageIdText(''))).toEqual({ field: 'id', reason: 'Empty' });
    expect(refused(validateImageIdText(`${ID}\0`))).toEqual({ field: 'id', reason: 'ContainsNul' });
  });
});

describe('the text rules, against a reference', () => {
  /** Any UTF-16 code unit, so lone surrogates and U+0000 come up, mixed with whole code points. */
  const anyText = fc.oneof(
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 300 }),
    fc.string({ unit: 'binary', minLength: 250, maxLength: 260 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
  );
  const wellFormed = (s: string) => new TextDecoder().decode(new TextEncoder().encode(s)) === s;

  it('a name is accepted exactly when it has no U+0000, is well-formed and has at most 255 code points', () => {
    fc.assert(
      fc.property(anyText, (name) => {
        const expected = !name.includes('\0') && wellFormed(name) && [...name].length <= IMAGE_INPUT_LIMITS.name;
        expect(validateNewImage({ ...base, name }).isOk()).toBe(expected);
        expect(validateNameFilter(name).isOk()).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
