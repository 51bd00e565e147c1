// Arbitrary text in every field (fast-check): the catalog either refuses it as core's validators do, or stores it and reads it back exactly; never a storage error.
import {
  newImageRecord,
  validateImagePatch,
  validateMemberId,
  validateNameFilter,
  validateNewImage,
  type NewImage,
} from '@image-catalog/core/authoring';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectOk } from './expect-result.js';
import { emptyImageFixture } from './fixtures/image-fixture.js';
import { secondsAfter, TEST_EPOCH } from './fixtures/test-clock.js';
import type { StorageHarness } from './storage-harness.js';

const T0 = TEST_EPOCH;
const T1 = secondsAfter(T0, 10);

/** Runs per property: bounded, so the part stays quick on a real database. */
const RUNS = 100;

/** Any UTF-16 code unit, U+0000 and lone surrogates included (and U+0000 often). */
const codeUnit = fc.oneof(
  { weight: 1, arbitrary: fc.constant('\u0000') },
  { weight: 9, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) },
);

/** Short text of any code units, of any code points, and long text around the 255-character limits. */
const anyText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: codeUnit, maxLength: 24 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 250, maxLength: 260 }) },
);

const fieldsArbitrary = fc.record({
  name: anyText,
  owner: anyText,
  tag: anyText,
  propertyKey: anyText,
  propertyValue: anyText,
  memberId: anyText,
  patchName: anyText,
  newMember: anyText,
  nameFilter: anyText,
});

function describeFailure(error: unknown): string {
  return JSON.stringify(error, (key, value: unknown) => (key === 'cause' ? String(value) : value));
}

/**
 * The property part of the input contract, on the suite's harness. Failures print fast-check's
 * seed and shrunk counterexample, so a run can be replayed with `{ seed, path }`.
 */
export function describeImageCatalogInputProperties(h: () => StorageHarness): void {
  describe('arbitrary text in every field (fast-check)', () => {
    it(`createImage, updateImage, addMember and listImages refuse exactly what core refuses and store the rest exactly (${RUNS} runs)`, async () => {
      await fc.assert(
        fc.asyncProperty(fieldsArbitrary, async (f) => {
          const input: NewImage = emptyImageFixture({
            name: f.name,
            owner: f.owner,
            tags: [f.tag],
            properties: { [f.propertyKey]: f.propertyValue },
            members: [{ memberId: f.memberId }],
          });
          const verdict = validateNewImage(input);
          const created = await h().catalog.createImage(input, T0);
          if (created.isErr()) {
            expect(verdict.isErr(), `refused what core accepts: ${describeFailure(created.error)}`).toBe(true);
            expect(created.error).toEqual(verdict._unsafeUnwrapErr());
            expect(await expectOk(h().images.findById(input.id))).toBeNull();
          } else {
            expect(verdict.isOk(), 'stored what core refuses').toBe(true);
            expect(created.value).toEqual(newImageRecord(input, T0));
            expect(await expectOk(h().images.findById(input.id))).toEqual(created.value);
          }

          // A live image to patch and join, whatever happened above.
          const target = await expectOk(h().catalog.createImage(emptyImageFixture(), T0));
          const patched = await h().catalog.updateImage(target.id, { name: f.patchName }, T1);
          const patchVerdict = validateImagePatch({ name: f.patchName });
          if (patched.isErr()) {
            expect(patchVerdict.isErr(), `patch refused: ${describeFailure(patched.error)}`).toBe(true);
            expect(patched.error).toEqual(patchVerdict._unsafeUnwrapErr());
            expect(await expectOk(h().images.findById(target.id))).toEqual(target);
          } else {
            expect(patchVerdict.isOk(), 'patched with what core refuses').toBe(true);
            expect(patched.value?.name).toBe(f.patchName);
            expect((await expectOk(h().images.findById(target.id)))?.name).toBe(f.patchName);
          }

          const joined = await h().catalog.addMember(target.id, f.newMember, T1);
          const memberVerdict = validateMemberId(f.newMember);
          if (joined.isErr()) {
            expect(memberVerdict.isErr(), `member refused: ${describeFailure(joined.error)}`).toBe(true);
            expect(joined.error).toEqual(memberVerdict._unsafeUnwrapErr());
            expect((await expectOk(h().images.findById(target.id)))?.members).toEqual([]);
          } else {
            expect(memberVerdict.isOk(), 'added a member core refuses').toBe(true);
            expect(joined.value?.memberId).toBe(f.newMember);
            expect((await expectOk(h().images.findById(target.id)))?.members.map((m) => m.memberId)).toEqual([f.newMember]);
          }

          for (const filter of [f.nameFilter, f.name, f.patchName]) {
            const listed = await h().catalog.listImages({ name: filter, limit: 1000 });
            const filterVerdict = validateNameFilter(filter);
            if (listed.isErr()) {
              expect(filterVerdict.isErr(), `filter refused: ${describeFailure(listed.error)}`).toBe(true);
              expect(listed.error).toEqual(filterVerdict._unsafeUnwrapErr());
            } else {
              expect(filterVerdict.isOk(), 'listed with a filter core refuses').toBe(true);
              expect(listed.value.every((image) => image.name === filter)).toBe(true);
              if (created.isOk() && filter === f.name) expect(listed.value.map((i) => i.id)).toContain(input.id);
            }
          }
        }),
        { numRuns: RUNS },
      );
    }, 120_000);
  });
}
