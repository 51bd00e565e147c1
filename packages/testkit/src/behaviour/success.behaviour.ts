// The behaviour suite's success part: what a delete answers, and what the outbox and queue hold after it.
import { DELETABLE_STATUSES } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { expectOk } from '../expect-result.js';
import { fixtureLocations } from '../fixtures/image-fixture.js';
import { projectMember } from '../fixtures/principals.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import { createFixtureImage, imageSnapshot } from '../harness-helpers.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeDeleteImageParts, NOW, OWNER, type BehaviourPart } from './behaviour-suite.js';
import { DELETE_POLICY_MODES, type DeletePolicyMode } from './policy-modes.js';

/** `success`: the answer of a delete, its event and jobs, every deletable status. */
export const successPart: BehaviourPart = ({ h, execute }) => {
  describe('success', () => {
    it('answers what it did: id, status, time, event and jobs; the outbox and queue hold them', async () => {
      const id = globalThis.crypto.randomUUID();
      const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
      const eventId = globalThis.crypto.randomUUID();
      const deleted = await expectOk(execute(id, projectMember(OWNER), { newEventId: () => eventId }));
      expect(deleted).toEqual({ imageId: id, status: 'deleted', deletedAt: NOW, eventId, dataDeletionJobs: 2, inlineDataDeletion: null });

      const after = await imageSnapshot(h(), id);
      expect(after.image).toMatchObject({ status: 'deleted', deleted: true, deletedAt: NOW, updatedAt: NOW });
      expect(after.events.map((e) => e.id)).toEqual([eventId]);
      expect(after.jobs.map((j) => [j.url, j.state, j.availableAt])).toEqual(
        image.locations.map((l) => [l.url, 'queued', secondsAfter(NOW, 60)]),
      );
    });

    it.each([...DELETABLE_STATUSES])('deletes an image in status %s', async (status) => {
      const image = await createFixtureImage(h(), { status });
      expect((await expectOk(execute(image.id, projectMember(OWNER)))).status).toBe('deleted');
    });
  });
};

/** Runs only the success part of the DeleteImage behaviour suite, once per policy mode. */
export function describeDeleteImageSuccess(
  name: string,
  factory: StorageHarnessFactory,
  modes: readonly DeletePolicyMode[] = DELETE_POLICY_MODES,
): void {
  describeDeleteImageParts(name, factory, modes, [successPart]);
}
