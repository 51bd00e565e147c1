// The behaviour suite's faults part (behaviour.md §5): storage errors passed through as values, never thrown, nothing half-written.
import { defaultDeletePolicy, storageFault, storageUnavailable, type DeletePolicy, type StorageError } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { expectErr, expectOk } from '../expect-result.js';
import { failingImageRepository, type RepositoryFailure } from '../fixtures/failing-image-repository.js';
import { fixtureLocations } from '../fixtures/image-fixture.js';
import { projectMember } from '../fixtures/principals.js';
import { createFixtureImage, findImage, imageSnapshot } from '../harness-helpers.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeDeleteImageParts, OWNER, type BehaviourPart } from './behaviour-suite.js';
import { DELETE_POLICY_MODES, type DeletePolicyMode } from './policy-modes.js';

const STORAGE_ERRORS: readonly (readonly [StorageError['kind'], StorageError])[] = [
  ['StorageUnavailable', storageUnavailable(undefined, 7)],
  ['StorageFault', storageFault()],
];

/** `5. storage faults`: errors, throwing and rejecting repositories, mid-delete faults, a defective policy. */
export const faultsPart: BehaviourPart = ({ h, mode, execute, expectRefused }) => {
  describe('5. storage faults', () => {
    /** The repository methods the use case calls on this path. */
    const CALLED: readonly ('findById' | 'deleteImage')[] = mode.readsFirst ? ['findById', 'deleteImage'] : ['deleteImage'];

    it.each(CALLED.flatMap((method) => STORAGE_ERRORS.map(([kind, error]) => [method, kind, error] as const)))(
      '%s answering %s is passed through unchanged, never thrown',
      async (method, kind, error) => {
        const image = await createFixtureImage(h());
        const failing = failingImageRepository(h().images, method === 'findById' ? { findById: error } : { deleteImage: error });
        const result = await execute(image.id, projectMember(OWNER), { repository: failing });
        expect(result.isErr() && result.error).toMatchObject({ kind, message: error.message });
        if (kind === 'StorageUnavailable') expect(result.isErr() && result.error).toMatchObject({ retryAfterSeconds: 7 });
        expect(await imageSnapshot(h(), image.id)).toEqual({ image, jobs: [], events: [] });
      },
    );

    it.each(CALLED.flatMap((method) => (['throw', 'reject'] as const).map((how) => [method, how] as const)))(
      'a repository whose %s does %s gives StorageFault, never a rejection',
      async (method, how: RepositoryFailure) => {
        const image = await createFixtureImage(h());
        const broken = failingImageRepository(h().images, method === 'findById' ? { findById: how } : { deleteImage: how });
        await expect(execute(image.id, projectMember(OWNER), { repository: broken })).resolves.toSatisfy(
          (r: Awaited<ReturnType<typeof execute>>) => r.isErr() && r.error.kind === 'StorageFault',
        );
      },
    );

    it.for(STORAGE_ERRORS)(
      'the adapter failing mid-delete with %s answers it and leaves the image as it was',
      async ([kind, error], { skip }) => {
        if (h().injectFault === undefined) skip('the harness has no injectFault hook');
        const id = globalThis.crypto.randomUUID();
        const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
        await h().injectFault!({ method: 'deleteImage', error, midTransaction: true });
        expect((await expectErr(execute(id, projectMember(OWNER)))).kind).toBe(kind);
        expect(await imageSnapshot(h(), id)).toEqual({ image, jobs: [], events: [] });
        expect((await expectOk(execute(id, projectMember(OWNER)))).dataDeletionJobs).toBe(2);
      },
    );

    it.runIf(!mode.readsFirst)('never calls findById: one read, inside the delete transaction', async () => {
      const image = await createFixtureImage(h());
      const noReads = failingImageRepository(h().images, { findById: 'throw' });
      expect((await expectOk(execute(image.id, projectMember(OWNER), { repository: noReads }))).status).toBe('deleted');
    });

    it.runIf(!mode.readsFirst)('a canDeleteSync that throws is a defect: StorageFault, nothing written', async () => {
      const image = await createFixtureImage(h());
      const broken: DeletePolicy = {
        canDelete: (principal, i) => defaultDeletePolicy.canDelete(principal, i),
        canDeleteSync: () => {
          throw new Error('policy defect (injected)');
        },
      };
      await expectRefused(image, projectMember(OWNER), 'StorageFault', { policy: broken });
      expect((await expectOk(execute(image.id, projectMember(OWNER)))).status).toBe('deleted');
    });

    it.runIf(mode.readsFirst)('the adapter failing the read answers StorageUnavailable', async ({ skip }) => {
      if (h().injectFault === undefined) skip('the harness has no injectFault hook');
      const image = await createFixtureImage(h());
      await h().injectFault!({ method: 'findById', error: storageUnavailable() });
      expect((await expectErr(execute(image.id, projectMember(OWNER)))).kind).toBe('StorageUnavailable');
      expect((await findImage(h(), image.id)).status).toBe('active');
    });
  });
};

/** Runs only the storage faults part of the DeleteImage behaviour suite, once per policy mode. */
export function describeDeleteImageFaults(
  name: string,
  factory: StorageHarnessFactory,
  modes: readonly DeletePolicyMode[] = DELETE_POLICY_MODES,
): void {
  describeDeleteImageParts(name, factory, modes, [faultsPart]);
}
