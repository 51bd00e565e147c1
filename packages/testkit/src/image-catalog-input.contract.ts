// The ImageCatalog input contract: what the catalog refuses (U+0000, lone surrogates, over-long values) it refuses alike on every adapter, storing nothing.
import type { Image } from '@image-catalog/core';
import {
  IMAGE_INPUT_LIMITS,
  MAX_MIN_DISK_OR_RAM,
  newImageRecord,
  validateNewImage,
  type ImageInputField,
  type InvalidImageInput,
  type InvalidImageInputReason,
  type NewImage,
} from '@image-catalog/core/authoring';
import { describe, expect, it } from 'vitest';
import { expectErr, expectOk } from './expect-result.js';
import { emptyImageFixture, imageFixture } from './fixtures/image-fixture.js';
import { secondsAfter, TEST_EPOCH } from './fixtures/test-clock.js';
import { createFixtureImage, findImage, imageSnapshot } from './harness-helpers.js';
import { describeImageCatalogInputProperties } from './image-catalog-input.properties.js';
import type { StorageHarness, StorageHarnessFactory } from './storage-harness.js';
import { useHarness } from './use-harness.js';

const T0 = TEST_EPOCH;
const T1 = secondsAfter(T0, 10);
const NUL = '\u0000';
const EMOJI = '\u{1F600}';

/** `length` code points of varied text: ASCII, Latin, CJK, an astral emoji, controls and U+FFFF, never U+0000. */
function longest(length: number, seed = 'v'): string {
  const alphabet = [seed, 'é', '漢', EMOJI, '\u0001', '\u007f', '\uffff', ' ', 'ﬀ', '\u202e'];
  return Array.from({ length }, (_, i) => alphabet[i % alphabet.length]!).join('');
}

/** Expects the refusal core's `validateNewImage` gives, with this field and reason, and returns it. */
async function expectRefusedCreate(
  h: StorageHarness,
  input: NewImage,
  field: ImageInputField,
  reason: InvalidImageInputReason,
): Promise<InvalidImageInput> {
  const error = await expectErr(h.catalog.createImage(input, T0));
  expect(error).toEqual(validateNewImage(input)._unsafeUnwrapErr());
  expect(error).toMatchObject({ kind: 'InvalidImageInput', field, reason });
  return error as InvalidImageInput;
}

/** Nothing at all is stored: no live image, and none under `id` (when it is an id the store can be asked about). */
async function expectNothingStored(h: StorageHarness, id?: string): Promise<void> {
  expect(await expectOk(h.catalog.listImages({}))).toEqual([]);
  if (id !== undefined) expect(await expectOk(h.images.findById(id))).toBeNull();
}

/** Creates `input` (without locations: their ids are generated) and proves what comes back, and what is read back, is exactly what was given. */
async function expectRoundTrip(h: StorageHarness, input: NewImage): Promise<Image> {
  const created = await expectOk(h.catalog.createImage(input, T0));
  expect(created).toEqual(newImageRecord(input, T0));
  expect(await findImage(h, input.id)).toEqual(created);
  return created;
}

type FieldCase = readonly [what: string, field: ImageInputField, input: (value: string) => Partial<NewImage>];

/** Every text field of a new image, and how to put a value into it. */
const TEXT_FIELDS: readonly FieldCase[] = [
  ['the name', 'name', (v) => ({ name: v })],
  ['the owner', 'owner', (v) => ({ owner: v })],
  ['a tag', 'tags', (v) => ({ tags: ['fine', v] })],
  ['a property name', 'propertyKey', (v) => ({ properties: { fine: 'x', [v]: 'x' } })],
  ['a property value', 'propertyValue', (v) => ({ properties: { fine: 'x', key: v } })],
  ['a member id', 'memberId', (v) => ({ members: [{ memberId: 'p2' }, { memberId: v }] })],
];

/**
 * Registers the input contract of `ImageCatalog` for an adapter (`factory` gives an empty store
 * per test). `describeImageRepositoryContract` runs it, so every adapter does.
 */
export function describeImageCatalogInputContract(name: string, factory: StorageHarnessFactory): void {
  describe(`${name}: ImageCatalog input contract`, () => {
    const h = useHarness(factory);

    describe('U+0000 and lone surrogates are refused before storage', () => {
      it.each([
        ...TEXT_FIELDS,
        ['the id', 'id', (v) => ({ id: v })],
        ['the checksum', 'checksum', (v) => ({ checksum: v })],
        ['os_hash_value', 'osHashValue', (v) => ({ osHashValue: v })],
        ['a location url', 'locationUrl', (v) => ({ locations: [{ url: `fixture://${v}` }] })],
        ['location metadata', 'locationMetadata', (v) => ({ locations: [{ url: 'fixture://x', metadata: { k: v } }] })],
      ] satisfies readonly FieldCase[])('createImage with U+0000 in %s: InvalidImageInput, nothing stored', async (_what, field, put) => {
        const input = imageFixture(put(`a${NUL}b`));
        await expectRefusedCreate(h(), input, field, 'ContainsNul');
        await expectNothingStored(h(), field === 'id' ? undefined : input.id);
      });

      it.each(TEXT_FIELDS)('createImage with a lone surrogate in %s: InvalidImageInput, nothing stored', async (_what, field, put) => {
        const input = imageFixture(put('a\uD800b'));
        await expectRefusedCreate(h(), input, field, 'LoneSurrogate');
        await expectNothingStored(h(), input.id);
      });

      it('property names that differ only after U+0000 are refused, never stored as one merged key', async () => {
        const input = imageFixture({ properties: { [`arch${NUL}x86`]: 'x86_64', [`arch${NUL}arm`]: 'aarch64' } });
        await expectRefusedCreate(h(), input, 'propertyKey', 'ContainsNul');
        await expectNothingStored(h(), input.id);
      });

      it('updateImage with U+0000 in the name (a PATCH value) is refused and changes nothing', async () => {
        const image = await createFixtureImage(h());
        const before = await imageSnapshot(h(), image.id);
        const error = await expectErr(h().catalog.updateImage(image.id, { name: `x${NUL}`, protected: true }, T1));
        expect(error).toMatchObject({ kind: 'InvalidImageInput', field: 'name', reason: 'ContainsNul' });
        expect(await imageSnapshot(h(), image.id)).toEqual(before);
      });

      it('addMember with U+0000 in the member id is refused and adds no member', async () => {
        const image = await createFixtureImage(h());
        const error = await expectErr(h().catalog.addMember(image.id, `p2${NUL}`, T1));
        expect(error).toMatchObject({ kind: 'InvalidImageInput', field: 'memberId', reason: 'ContainsNul' });
        expect(await findImage(h(), image.id)).toEqual(image);
      });

      it('updateImage and addMember on an image id with U+0000 are refused (never a storage error)', async () => {
        const id = `${globalThis.crypto.randomUUID()}${NUL}`;
        expect(await expectErr(h().catalog.updateImage(id, { protected: true }, T1))).toMatchObject({
          kind: 'InvalidImageInput',
          field: 'id',
          reason: 'ContainsNul',
        });
        expect(await expectErr(h().catalog.addMember(id, 'p2', T1))).toMatchObject({
          kind: 'InvalidImageInput',
          field: 'id',
          reason: 'ContainsNul',
        });
      });

      it.each([`a${NUL}`, NUL, '\uDC00'])('listImages with the name filter %j is refused, not a storage error', async (filter) => {
        await createFixtureImage(h(), { name: 'a' });
        const error = await expectErr(h().catalog.listImages({ name: filter }));
        expect(error).toMatchObject({ kind: 'InvalidImageInput', field: 'nameFilter' });
      });
    });

    describe('over-long values are refused', () => {
      it.each([
        ['the name', IMAGE_INPUT_LIMITS.name, 'name', (v) => ({ name: v })],
        ['the owner', IMAGE_INPUT_LIMITS.owner, 'owner', (v) => ({ owner: v })],
        ['a tag', IMAGE_INPUT_LIMITS.tag, 'tags', (v) => ({ tags: [v] })],
        ['a property name', IMAGE_INPUT_LIMITS.propertyKey, 'propertyKey', (v) => ({ properties: { [v]: 'x' } })],
        ['a property value', IMAGE_INPUT_LIMITS.propertyValue, 'propertyValue', (v) => ({ properties: { k: v } })],
        ['a member id', IMAGE_INPUT_LIMITS.memberId, 'memberId', (v) => ({ members: [{ memberId: v }] })],
        ['the checksum', IMAGE_INPUT_LIMITS.checksum, 'checksum', (v) => ({ checksum: v })],
        ['os_hash_algo', IMAGE_INPUT_LIMITS.osHashAlgo, 'osHashAlgo', (v) => ({ osHashAlgo: v })],
        ['os_hash_value', IMAGE_INPUT_LIMITS.osHashValue, 'osHashValue', (v) => ({ osHashValue: v })],
      ] satisfies readonly (readonly [string, number, ImageInputField, (value: string) => Partial<NewImage>])[])(
        'createImage with %s one character over %i: InvalidImageInput, nothing stored',
        async (_what, limit, field, put) => {
          const input = imageFixture(put(longest(limit + 1)));
          await expectRefusedCreate(h(), input, field, 'TooLong');
          await expectNothingStored(h(), input.id);
        },
      );

      it('updateImage, addMember and the name filter refuse over-long values and change nothing', async () => {
        const image = await createFixtureImage(h());
        expect(await expectErr(h().catalog.updateImage(image.id, { name: longest(IMAGE_INPUT_LIMITS.name + 1) }, T1))).toMatchObject({
          field: 'name',
          reason: 'TooLong',
        });
        expect(await expectErr(h().catalog.addMember(image.id, 'm'.repeat(IMAGE_INPUT_LIMITS.memberId + 1), T1))).toMatchObject({
          field: 'memberId',
          reason: 'TooLong',
        });
        expect(await expectErr(h().catalog.listImages({ name: 'n'.repeat(IMAGE_INPUT_LIMITS.name + 1) }))).toMatchObject({
          field: 'nameFilter',
          reason: 'TooLong',
        });
        expect(await findImage(h(), image.id)).toEqual(image);
      });

      it('values outside an enumeration or a column range are refused, not left to the database', async () => {
        await expectRefusedCreate(h(), imageFixture({ diskFormat: 'qcow3' }), 'diskFormat', 'NotAllowed');
        await expectRefusedCreate(h(), imageFixture({ minRam: MAX_MIN_DISK_OR_RAM + 1 }), 'minRam', 'OutOfRange');
        await expectRefusedCreate(h(), imageFixture({ size: -1 }), 'size', 'OutOfRange');
        await expectRefusedCreate(h(), imageFixture({ members: [{ memberId: 'p2' }, { memberId: 'p2' }] }), 'memberId', 'Duplicate');
        await expectNothingStored(h());
      });
    });

    describe('what is accepted is stored exactly', () => {
      it('the longest valid values, in code points (astral characters, controls, U+FFFF), round-trip exactly', async () => {
        const name = longest(IMAGE_INPUT_LIMITS.name, 'n');
        const input = emptyImageFixture({
          id: globalThis.crypto.randomUUID(),
          name,
          owner: longest(IMAGE_INPUT_LIMITS.owner, 'o'),
          checksum: 'c'.repeat(IMAGE_INPUT_LIMITS.checksum),
          osHashAlgo: 'a'.repeat(IMAGE_INPUT_LIMITS.osHashAlgo),
          osHashValue: 'h'.repeat(IMAGE_INPUT_LIMITS.osHashValue),
          size: Number.MAX_SAFE_INTEGER,
          minDisk: MAX_MIN_DISK_OR_RAM,
          minRam: MAX_MIN_DISK_OR_RAM,
          tags: [longest(IMAGE_INPUT_LIMITS.tag, 't'), EMOJI],
          properties: { [longest(IMAGE_INPUT_LIMITS.propertyKey, 'k')]: longest(IMAGE_INPUT_LIMITS.propertyValue), empty: '' },
          members: [{ memberId: longest(IMAGE_INPUT_LIMITS.memberId, 'm') }],
        });
        expect(name.length).toBeGreaterThan(IMAGE_INPUT_LIMITS.name);
        const created = await expectRoundTrip(h(), input);
        expect((await expectOk(h().catalog.listImages({ name }))).map((i) => i.id)).toEqual([created.id]);

        const renamed = longest(IMAGE_INPUT_LIMITS.name, 'r');
        expect((await expectOk(h().catalog.updateImage(created.id, { name: renamed }, T1)))?.name).toBe(renamed);
        const memberId = longest(IMAGE_INPUT_LIMITS.memberId, 'q');
        expect((await expectOk(h().catalog.addMember(created.id, memberId, T1)))?.memberId).toBe(memberId);
        const found = await findImage(h(), created.id);
        expect(found.name).toBe(renamed);
        expect(found.members.map((m) => m.memberId)).toEqual([input.members![0]!.memberId, memberId]);
      });

      it('property names, tags and member ids that differ only in case, spacing or Unicode normalisation stay distinct', async () => {
        const variants = ['arch', 'Arch', 'arch ', ' arch', 'caf\u00e9', 'cafe\u0301', 'ﬀ', 'ff', 'ß', 'ss'];
        const input = emptyImageFixture({
          properties: Object.fromEntries(variants.map((v, i) => [v, String(i)])),
          tags: variants,
          members: variants.map((memberId) => ({ memberId })),
        });
        const created = await expectRoundTrip(h(), input);
        expect(Object.keys(created.properties)).toHaveLength(variants.length);
        expect([...created.tags].sort()).toEqual([...variants].sort());
        expect(created.members.map((m) => m.memberId)).toEqual(variants);
      });

      it('property names that are also names of Object.prototype members are ordinary keys', async () => {
        const properties = JSON.parse('{"__proto__": "a", "constructor": "b", "toString": "c", "hasOwnProperty": "d"}') as Record<
          string,
          string
        >;
        const created = await expectRoundTrip(h(), emptyImageFixture({ properties }));
        expect(Object.keys(created.properties).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
        expect(Object.getPrototypeOf(created.properties)).toBe(Object.prototype);
      });

      it('an empty name is a name: stored, and found by an empty name filter', async () => {
        const image = await expectRoundTrip(h(), emptyImageFixture({ name: '' }));
        await createFixtureImage(h(), { name: null });
        expect((await expectOk(h().catalog.listImages({ name: '' }))).map((i) => i.id)).toEqual([image.id]);
      });
    });

    describeImageCatalogInputProperties(h);
  });
}
