// Small steps the suites take through a storage harness: create, find, delete, and snapshot one image.
import type { DeleteImageOutcome, Image } from '@image-catalog/core';
import type { NewImage } from '@image-catalog/core/authoring';
import { expect } from 'vitest';
import { expectOk } from './expect-result.js';
import { deleteImageRequest, type DeleteRequestOptions } from './fixtures/delete-image-request.js';
import { imageFixture } from './fixtures/image-fixture.js';
import { TEST_EPOCH } from './fixtures/test-clock.js';
import type { StorageHarness } from './storage-harness.js';

export type DeletedOutcome = Extract<DeleteImageOutcome, { kind: 'Deleted' }>;

/** Creates `imageFixture(overrides)` at `at`. */
export async function createFixtureImage(h: StorageHarness, overrides: Partial<NewImage> = {}, at: Date = TEST_EPOCH): Promise<Image> {
  return expectOk(h.catalog.createImage(imageFixture(overrides), at));
}

/** The image, failing the test when it is unknown. */
export async function findImage(h: StorageHarness, imageId: string): Promise<Image> {
  const image = await expectOk(h.images.findById(imageId));
  if (image === null) expect.fail(`image ${imageId} not found`);
  return image;
}

/** Deletes through the repository, failing the test unless the outcome is `Deleted`. */
export async function deleteThroughRepository(
  h: StorageHarness,
  image: Pick<Image, 'id'>,
  at: Date,
  options: DeleteRequestOptions = {},
): Promise<DeletedOutcome> {
  const outcome = await expectOk(h.images.deleteImage(deleteImageRequest(image, at, options)));
  if (outcome.kind !== 'Deleted') expect.fail(`expected Deleted, got ${outcome.kind}`);
  return outcome;
}

export interface ImageSnapshot {
  readonly image: Image | null;
  readonly jobs: Awaited<ReturnType<typeof listJobs>>;
  readonly events: Awaited<ReturnType<typeof listEvents>>;
}

function listJobs(h: StorageHarness, imageId: string) {
  return expectOk(h.jobs.listJobs({ imageId }));
}

function listEvents(h: StorageHarness, imageId: string) {
  return expectOk(h.outbox.listEvents({ imageId }));
}

/** Everything the store holds about one image, to prove a refused or failed call changed nothing. */
export async function imageSnapshot(h: StorageHarness, imageId: string): Promise<ImageSnapshot> {
  return {
    image: await expectOk(h.images.findById(imageId)),
    jobs: await listJobs(h, imageId),
    events: await listEvents(h, imageId),
  };
}
