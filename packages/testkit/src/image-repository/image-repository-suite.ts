// The ImageRepository & ImageCatalog contract's frame: its title, one fresh harness per test, and the parts it runs.
import { expect } from 'vitest';
import { expectOk } from '../expect-result.js';
import { deleteImageRequest } from '../fixtures/delete-image-request.js';
import { fixtureLocations } from '../fixtures/image-fixture.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import { T1 } from '../contract-times.js';
import { createFixtureImage } from '../harness-helpers.js';
import type { StorageHarness, StorageHarnessFactory } from '../storage-harness.js';
import { describeParts, type SuitePart } from '../suite-parts.js';
import { useHarness } from '../use-harness.js';

/** A part of the repository contract: registers its tests against the current test's harness. */
export type ImageRepositoryPart = SuitePart<() => StorageHarness>;

/**
 * Registers `parts` of the ImageRepository & ImageCatalog contract for an adapter. `factory` is
 * called before every test and must return an empty store.
 */
export function describeImageRepositoryParts(name: string, factory: StorageHarnessFactory, parts: readonly ImageRepositoryPart[]): void {
  describeParts(`${name}: ImageRepository & ImageCatalog contract`, () => useHarness(factory), parts);
}

/** 20 concurrent deletes of one image with two locations: exactly one commits, one event and one set of jobs. */
export async function expectOneOfTwentyDeletesCommits(h: StorageHarness): Promise<void> {
  const id = globalThis.crypto.randomUUID();
  const image = await createFixtureImage(h, { id, locations: fixtureLocations(id, 2) });
  const outcomes = await Promise.all(
    Array.from({ length: 20 }, (_, i) => expectOk(h.images.deleteImage(deleteImageRequest(image, secondsAfter(T1, i))))),
  );
  expect(outcomes.filter((o) => o.kind === 'Deleted')).toHaveLength(1);
  expect(outcomes.filter((o) => o.kind === 'NotFound')).toHaveLength(19);
  expect(await expectOk(h.outbox.listEvents({ imageId: id }))).toHaveLength(1);
  expect(await expectOk(h.jobs.listJobs({ imageId: id }))).toHaveLength(2);
}
