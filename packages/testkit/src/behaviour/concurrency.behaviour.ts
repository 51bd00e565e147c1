// The behaviour suite's concurrency part: concurrent deletes of one image, and a delete racing "protected = true".
import { describe, expect, it } from 'vitest';
import { expectOk } from '../expect-result.js';
import { fixtureLocations } from '../fixtures/image-fixture.js';
import { adminPrincipal, projectMember } from '../fixtures/principals.js';
import { createFixtureImage, imageSnapshot } from '../harness-helpers.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeDeleteImageParts, NOW, OWNER, type BehaviourPart } from './behaviour-suite.js';
import { DELETE_POLICY_MODES, type DeletePolicyMode } from './policy-modes.js';

/** `concurrency`: one winner among 20 deletes, a delete racing protection. */
export const concurrencyPart: BehaviourPart = ({ h, deleteImage, execute }) => {
  describe('concurrency', () => {
    it('of 20 concurrent deletes of one image exactly one succeeds; the rest get ImageNotFound', async () => {
      const id = globalThis.crypto.randomUUID();
      await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
      const useCase = deleteImage();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          useCase.execute({ imageId: id, principal: i % 2 === 0 ? projectMember(OWNER) : adminPrincipal() }),
        ),
      );
      expect(results.filter((r) => r.isOk())).toHaveLength(1);
      expect(results.filter((r) => r.isErr() && r.error.kind === 'ImageNotFound')).toHaveLength(19);
      const after = await imageSnapshot(h(), id);
      expect(after.events).toHaveLength(1);
      expect(after.jobs).toHaveLength(2);
    });

    it.each([0, 1, 2, 3, 4, 5, 6, 8, 12])(
      'a delete racing "protected = true" (protect after %i ticks) either deleted an unprotected image or failed with ImageProtected',
      async (ticks) => {
        const image = await createFixtureImage(h());
        const protect = (async () => {
          for (let i = 0; i < ticks; i++) await Promise.resolve();
          return expectOk(h().catalog.updateImage(image.id, { protected: true }, NOW));
        })();
        const [result, update] = await Promise.all([execute(image.id, projectMember(OWNER)), protect]);
        const after = await imageSnapshot(h(), image.id);
        if (result.isOk()) {
          expect(update).toBeNull();
          expect(after.image).toMatchObject({ status: 'deleted', deleted: true, protected: false });
          expect(after.events).toHaveLength(1);
        } else {
          expect(result.error.kind).toBe('ImageProtected');
          expect(update).not.toBeNull();
          expect(after).toEqual({ image: { ...image, protected: true, updatedAt: NOW }, jobs: [], events: [] });
        }
      },
    );
  });
};

/** Runs only the concurrency part of the DeleteImage behaviour suite, once per policy mode. */
export function describeDeleteImageConcurrency(
  name: string,
  factory: StorageHarnessFactory,
  modes: readonly DeletePolicyMode[] = DELETE_POLICY_MODES,
): void {
  describeDeleteImageParts(name, factory, modes, [concurrencyPart]);
}
