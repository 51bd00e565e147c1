// The behaviour suite's data-deletion part: inline deletion in immediate mode, and delayed mode's pending_delete.
import { describe, expect, it } from 'vitest';
import { expectOk } from '../expect-result.js';
import { emptyImageFixture, fixtureLocations } from '../fixtures/image-fixture.js';
import { projectMember } from '../fixtures/principals.js';
import { RecordingImageDataStore } from '../fixtures/recording-image-data-store.js';
import { secondsAfter, TEST_EPOCH } from '../fixtures/test-clock.js';
import { createFixtureImage, findImage, imageSnapshot } from '../harness-helpers.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeDeleteImageParts, NOW, OWNER, type BehaviourPart } from './behaviour-suite.js';
import { DELETE_POLICY_MODES, type DeletePolicyMode } from './policy-modes.js';

/** `data deletion`: inline data deletion with and without a worker, a failing data store, delayed mode. */
export const dataDeletionPart: BehaviourPart = ({ h, execute }) => {
  describe('data deletion', () => {
    it('immediate mode with a worker deletes the data inline: jobs done, locations deleted', async () => {
      const id = globalThis.crypto.randomUUID();
      const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
      const dataStore = new RecordingImageDataStore();
      const deleted = await expectOk(execute(id, projectMember(OWNER), { dataStore }));
      expect(deleted.inlineDataDeletion).toMatchObject({ done: 2, retry: 0, dead: 0, abandoned: 0 });
      expect([...dataStore.calls].sort()).toEqual(image.locations.map((l) => l.url).sort());
      const after = await imageSnapshot(h(), id);
      expect(after.jobs.map((j) => j.state)).toEqual(['done', 'done']);
      expect(after.image?.locations.map((l) => l.status)).toEqual(['deleted', 'deleted']);
      expect(after.image?.status).toBe('deleted');
    });

    it('a failing data store does not fail the delete: the job stays queued for the scrubber', async () => {
      const image = await createFixtureImage(h());
      const dataStore = new RecordingImageDataStore();
      dataStore.failWith({ kind: 'DataStoreUnavailable', message: 'store offline' });
      const deleted = await expectOk(execute(image.id, projectMember(OWNER), { dataStore }));
      expect(deleted).toMatchObject({ status: 'deleted', inlineDataDeletion: { done: 0, retry: 1 } });
      const [job] = (await imageSnapshot(h(), image.id)).jobs;
      expect(job).toMatchObject({ state: 'queued', attempts: 1, lastError: expect.stringContaining('DataStoreUnavailable') });
      expect((await findImage(h(), image.id)).status).toBe('deleted');
    });

    it('immediate mode without a worker leaves the jobs queued, due after the inline lease', async () => {
      const image = await createFixtureImage(h());
      const deleted = await expectOk(execute(image.id, projectMember(OWNER), { inlineLeaseSeconds: 90 }));
      expect(deleted.inlineDataDeletion).toBeNull();
      const [job] = (await imageSnapshot(h(), image.id)).jobs;
      expect(job).toMatchObject({ state: 'queued', attempts: 0, availableAt: secondsAfter(NOW, 90) });
    });

    it('delayed mode moves an image with data to pending_delete; its jobs are due after the delay and nothing runs inline', async () => {
      const image = await createFixtureImage(h());
      const dataStore = new RecordingImageDataStore();
      const deleted = await expectOk(execute(image.id, projectMember(OWNER), { dataStore, delayedDelete: { delaySeconds: 3600 } }));
      expect(deleted).toMatchObject({ status: 'pending_delete', dataDeletionJobs: 1, inlineDataDeletion: null });
      expect(dataStore.calls).toEqual([]);
      const after = await imageSnapshot(h(), image.id);
      expect(after.image).toMatchObject({ status: 'pending_delete', deleted: true, deletedAt: NOW });
      expect(after.jobs.map((j) => [j.state, j.availableAt])).toEqual([['queued', secondsAfter(NOW, 3600)]]);
      expect(await expectOk(h().jobs.claimDue({ now: secondsAfter(NOW, 3599), limit: 10, leaseSeconds: 60 }))).toEqual([]);
      expect(await expectOk(h().jobs.claimDue({ now: secondsAfter(NOW, 3600), limit: 10, leaseSeconds: 60 }))).toHaveLength(1);
    });

    it('delayed mode deletes an image without data outright', async () => {
      const image = await expectOk(h().catalog.createImage(emptyImageFixture(), TEST_EPOCH));
      const deleted = await expectOk(execute(image.id, projectMember(OWNER), { delayedDelete: { delaySeconds: 3600 } }));
      expect(deleted).toMatchObject({ status: 'deleted', dataDeletionJobs: 0 });
    });
  });
};

/** Runs only the data deletion part of the DeleteImage behaviour suite, once per policy mode. */
export function describeDeleteImageDataDeletion(
  name: string,
  factory: StorageHarnessFactory,
  modes: readonly DeletePolicyMode[] = DELETE_POLICY_MODES,
): void {
  describeDeleteImageParts(name, factory, modes, [dataDeletionPart]);
}
