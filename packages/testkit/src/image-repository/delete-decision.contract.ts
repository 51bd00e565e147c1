// The repository contract's decision part: the store calls the request's decide once, on the image it holds, and writes exactly its plan.
import { planDeletion, type DeleteDecision, type DeletionPlan, type Image } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { T1, T2 } from '../contract-times.js';
import { expectErr, expectOk } from '../expect-result.js';
import { allowingDecision, deleteImageRequest, planSettings } from '../fixtures/delete-image-request.js';
import { fixtureLocations } from '../fixtures/image-fixture.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import { createFixtureImage, deleteThroughRepository, findImage, imageSnapshot } from '../harness-helpers.js';
import type { StorageHarnessFactory } from '../storage-harness.js';
import { describeImageRepositoryParts, expectOneOfTwentyDeletesCommits, type ImageRepositoryPart } from './image-repository-suite.js';

/** A request deciding with `decide` instead of the default (delete what is live and unprotected). */
const deciding = (image: Pick<Image, 'id'>, at: Date, decide: (image: Image | null) => DeleteDecision) =>
  deleteImageRequest(image, at, { decide });

/** `deleteImage: the decision`: decide's verdicts, the plan written as given, decide called once on the transaction's image, a throwing decide. */
export const deleteDecisionPart: ImageRepositoryPart = (h) => {
  describe('deleteImage: the decision', () => {
    it.each(['NotFound', 'Forbidden', 'Protected'] as const)('answers %s when decide says so, and writes nothing', async (kind) => {
      const id = globalThis.crypto.randomUUID();
      const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
      const outcome = await expectOk(h().images.deleteImage(deciding(image, T1, () => ({ kind }))));
      expect(outcome).toEqual({ kind });
      expect(await imageSnapshot(h(), id)).toEqual({ image, jobs: [], events: [] });
      expect(await expectOk(h().jobs.counts())).toEqual({ queued: 0, done: 0, dead: 0, cancelled: 0 });
    });

    it('writes exactly the plan decide returns: its status, times, job ids and due time, event id and payload', async () => {
      const id = globalThis.crypto.randomUUID();
      const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2), properties: { a: '1' }, tags: ['t'] });
      const settings = planSettings(T1, { delayed: true, jobsDueAt: secondsAfter(T1, 900) });
      let planned: DeletionPlan | null = null;
      const outcome = await expectOk(
        h().images.deleteImage(
          deciding(image, T1, (current) => {
            if (current === null) return { kind: 'NotFound' };
            planned = planDeletion(current, settings);
            return { kind: 'Delete', plan: planned };
          }),
        ),
      );
      expect(outcome).toEqual({ kind: 'Deleted', ...planned! });
      const after = await imageSnapshot(h(), id);
      expect(after.image).toMatchObject({ status: 'pending_delete', deleted: true, deletedAt: T1, updatedAt: T1 });
      expect(after.jobs.map((j) => [j.id, j.locationId, j.availableAt])).toEqual(
        planned!.jobs.map((j) => [j.id, j.locationId, secondsAfter(T1, 900)]),
      );
      expect(after.events.map((e) => [e.id, e.payload])).toEqual([[settings.eventId, planned!.event.payload]]);
    });

    it('calls decide once, on the image as it is in the transaction (later changes included)', async () => {
      const image = await createFixtureImage(h(), { visibility: 'private' });
      await expectOk(h().catalog.updateImage(image.id, { visibility: 'shared', name: 'renamed' }, T1));
      await expectOk(h().catalog.addMember(image.id, 'p-late', T1));
      const current = await findImage(h(), image.id);
      const seen: (Image | null)[] = [];
      const outcome = await expectOk(
        h().images.deleteImage(deciding(image, T2, (i) => (seen.push(structuredClone(i)), { kind: 'Forbidden' }))),
      );
      expect(outcome).toEqual({ kind: 'Forbidden' });
      expect(seen).toEqual([current]);
      expect(await findImage(h(), image.id)).toEqual(current);
    });

    it('hands decide null for an unknown id, and a deleted or pending_delete image as it is (the default decision answers NotFound)', async () => {
      const seen: (Image | null)[] = [];
      const unknown = { id: globalThis.crypto.randomUUID() };
      expect(await expectOk(h().images.deleteImage(deciding(unknown, T1, (i) => (seen.push(i), { kind: 'NotFound' }))))).toEqual({
        kind: 'NotFound',
      });
      expect(seen).toEqual([null]);
      for (const delayed of [false, true]) {
        const id = globalThis.crypto.randomUUID();
        const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 1) });
        await deleteThroughRepository(h(), image, T1, { delayed });
        const before = await imageSnapshot(h(), image.id);
        const decide = allowingDecision(T2);
        const outcome = await expectOk(h().images.deleteImage(deciding(image, T2, (i) => (seen.push(i), decide(i)))));
        expect(outcome).toEqual({ kind: 'NotFound' });
        expect(seen.at(-1)).toMatchObject({ id, deleted: true, status: delayed ? 'pending_delete' : 'deleted' });
        expect(await imageSnapshot(h(), image.id)).toEqual(before);
      }
    });

    it('a decide that throws is a defect: StorageFault, nothing written, the store still works', async () => {
      const id = globalThis.crypto.randomUUID();
      const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
      const error = await expectErr(
        h().images.deleteImage(
          deciding(image, T1, () => {
            throw new Error('decide defect (injected)');
          }),
        ),
      );
      expect(error.kind).toBe('StorageFault');
      expect(await imageSnapshot(h(), id)).toEqual({ image, jobs: [], events: [] });
      expect((await deleteThroughRepository(h(), image, T2)).kind).toBe('Deleted');
      expect((await imageSnapshot(h(), id)).jobs).toHaveLength(2);
    });

    it('a decide that throws fails only its own delete among concurrent ones', async () => {
      const images = await Promise.all([0, 1, 2].map(() => createFixtureImage(h())));
      const results = await Promise.all(
        images.map((image, i) => {
          const allow = allowingDecision(T1);
          return h().images.deleteImage(
            deciding(image, T1, (current) => {
              if (i === 1) throw new Error('decide defect (injected)');
              return allow(current);
            }),
          );
        }),
      );
      expect(results.map((r) => (r.isOk() ? r.value.kind : r.error.kind))).toEqual(['Deleted', 'StorageFault', 'Deleted']);
      expect(await imageSnapshot(h(), images[1]!.id)).toEqual({ image: images[1], jobs: [], events: [] });
      for (const i of [0, 2]) expect((await imageSnapshot(h(), images[i]!.id)).events).toHaveLength(1);
    });

    it('of 20 concurrent deletes of one image exactly one commits; the rest are NotFound', async () => {
      await expectOneOfTwentyDeletesCommits(h());
    });
  });
};

/** Runs only the decision part of the ImageRepository & ImageCatalog contract. */
export function describeImageRepositoryDeleteDecision(name: string, factory: StorageHarnessFactory): void {
  describeImageRepositoryParts(name, factory, [deleteDecisionPart]);
}
