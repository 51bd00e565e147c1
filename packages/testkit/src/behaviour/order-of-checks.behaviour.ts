// The behaviour suite's order-of-checks part (behaviour.md §2–§4): malformed ids, 404 rules, 403 messages, policy before protection.
import { imageNotFound, invalidImageId, storageUnavailable, uuidImageIdFormat } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { expectErr, expectOk } from '../expect-result.js';
import { failingImageRepository } from '../fixtures/failing-image-repository.js';
import { HOSTILE_IMAGE_IDS } from '../fixtures/hostile-image-ids.js';
import { adminPrincipal, projectMember, projectReader } from '../fixtures/principals.js';
import { DELETE_FORBIDDEN_MESSAGE, imageProtectedMessage } from '../glance-messages.js';
import { createFixtureImage, findImage } from '../harness-helpers.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeDeleteImageParts, NOW, OTHER, OWNER, type BehaviourPart, type BehaviourSuite } from './behaviour-suite.js';
import { DELETE_POLICY_MODES, type DeletePolicyMode } from './policy-modes.js';

function malformedIds({ h, execute }: BehaviourSuite): void {
  describe('1. malformed ids', () => {
    it.each(HOSTILE_IMAGE_IDS)('refuses %s with InvalidImageId before touching storage', async (_label, raw) => {
      const untouchable = failingImageRepository(h().images, { findById: 'throw', deleteImage: 'throw', restoreImage: 'throw' });
      const error = await expectErr(execute(raw, adminPrincipal(), { repository: untouchable }));
      expect(error).toEqual(invalidImageId(uuidImageIdFormat.description));
      if (typeof raw === 'string' && raw.length >= 3) expect(error.message).not.toContain(raw);
    });

    it('accepts an upper-case UUID and deletes the image under its lower-case id', async () => {
      const image = await createFixtureImage(h());
      const deleted = await expectOk(execute(image.id.toUpperCase(), projectMember(OWNER)));
      expect(deleted.imageId).toBe(image.id);
      expect((await findImage(h(), image.id)).status).toBe('deleted');
    });
  });
}

function notFound({ h, execute, expectRefused }: BehaviourSuite): void {
  describe('2. not found', () => {
    it('answers ImageNotFound for an unknown id, even to an admin', async () => {
      const id = globalThis.crypto.randomUUID();
      const error = await expectErr(execute(id, adminPrincipal()));
      expect(error).toEqual(imageNotFound(id));
    });

    it('answers ImageNotFound for an image already deleted, writing nothing more', async () => {
      const image = await createFixtureImage(h());
      await expectOk(execute(image.id, projectMember(OWNER)));
      const deleted = await findImage(h(), image.id);
      await expectRefused(deleted, adminPrincipal(), 'ImageNotFound');
    });

    it('answers ImageNotFound for an image in pending_delete', async () => {
      const image = await createFixtureImage(h());
      const delayed = { delayedDelete: { delaySeconds: 3600 } };
      expect((await expectOk(execute(image.id, projectMember(OWNER), delayed))).status).toBe('pending_delete');
      await expectRefused(await findImage(h(), image.id), adminPrincipal(), 'ImageNotFound', delayed);
    });

    it('answers ImageNotFound for an image the caller cannot see, with the same message as an unknown one', async () => {
      const image = await createFixtureImage(h(), { visibility: 'private' });
      const error = await expectRefused(image, projectMember(OTHER), 'ImageNotFound');
      expect(error).toEqual(imageNotFound(image.id));
    });
  });
}

function policyAndProtection({ h, execute, expectRefused }: BehaviourSuite): void {
  describe('3-4. policy and protection', () => {
    it("answers DeleteForbidden with Glance's message to a reader of the owning project", async () => {
      const image = await createFixtureImage(h());
      const error = await expectRefused(image, projectReader(OWNER), 'DeleteForbidden');
      expect(error.message).toBe(DELETE_FORBIDDEN_MESSAGE);
    });

    it('answers ImageProtected with the image id in the message, to the owner and to an admin', async () => {
      const image = await createFixtureImage(h(), { protected: true });
      for (const principal of [projectMember(OWNER), adminPrincipal()]) {
        const error = await expectRefused(image, principal, 'ImageProtected');
        expect(error.message).toBe(imageProtectedMessage(image.id));
      }
    });

    it('deletes a formerly protected image once protected is false', async () => {
      const image = await createFixtureImage(h(), { protected: true });
      await expectOk(h().catalog.updateImage(image.id, { protected: false }, NOW));
      expect((await expectOk(execute(image.id, projectMember(OWNER)))).status).toBe('deleted');
    });

    it('checks visibility before protection: an invisible protected image is 404', async () => {
      const image = await createFixtureImage(h(), { protected: true, visibility: 'private' });
      await expectRefused(image, projectMember(OTHER), 'ImageNotFound');
    });

    it('checks the policy before protection: a visible, forbidden, protected image is 403 DeleteForbidden', async () => {
      const image = await createFixtureImage(h(), { protected: true, visibility: 'public' });
      expect((await expectRefused(image, projectMember(OTHER), 'DeleteForbidden')).message).toBe(DELETE_FORBIDDEN_MESSAGE);
      expect((await expectRefused(image, projectReader(OWNER), 'DeleteForbidden')).message).toBe(DELETE_FORBIDDEN_MESSAGE);
    });

    it('checks the id before anything: a malformed id is 400 even when storage is down', async () => {
      const down = failingImageRepository(h().images, { findById: storageUnavailable(), deleteImage: storageUnavailable() });
      expect((await expectErr(execute('not-a-uuid', adminPrincipal(), { repository: down }))).kind).toBe('InvalidImageId');
    });

    it("treats a shared image's member project as able to see it whatever its member status", async () => {
      const image = await createFixtureImage(h(), { visibility: 'shared', members: [{ memberId: OTHER, status: 'rejected' }] });
      await expectRefused(image, projectMember(OTHER), 'DeleteForbidden');
    });
  });
}

/** `1. malformed ids`, `2. not found`, `3-4. policy and protection`: each check, its exact answer, and which check comes first. */
export const orderOfChecksPart: BehaviourPart = (suite) => {
  malformedIds(suite);
  notFound(suite);
  policyAndProtection(suite);
};

/** Runs only the order of checks part of the DeleteImage behaviour suite, once per policy mode. */
export function describeDeleteImageOrderOfChecks(
  name: string,
  factory: StorageHarnessFactory,
  modes: readonly DeletePolicyMode[] = DELETE_POLICY_MODES,
): void {
  describeDeleteImageParts(name, factory, modes, [orderOfChecksPart]);
}
