// The repository contract's delete part: every deleteImage outcome, what it commits (image row, jobs, event), races and rollback.
import {
  DELETABLE_STATUSES,
  isoTime,
  storageFault,
  storageUnavailable,
  toNotificationPayload,
  type Image,
  type StorageError,
} from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { T0, T1, T2 } from '../contract-times.js';
import { expectErr, expectOk } from '../expect-result.js';
import { deleteImageRequest } from '../fixtures/delete-image-request.js';
import { emptyImageFixture, FIXTURE_OWNER, fixtureLocations } from '../fixtures/image-fixture.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import { createFixtureImage, deleteThroughRepository, findImage, imageSnapshot } from '../harness-helpers.js';
import type { StorageHarness, StorageHarnessFactory } from '../storage-harness.js';
import { describeImageRepositoryParts, expectOneOfTwentyDeletesCommits, type ImageRepositoryPart } from './image-repository-suite.js';

/** `deleteImage`: what a delete answers and writes, in immediate and delayed mode, under races and injected faults. */
export const deletePart: ImageRepositoryPart = (h) => {
  describe('deleteImage', () => {
    outcomes(h);
    racesAndFaults(h);
  });
};

/** Runs only the delete part of the ImageRepository & ImageCatalog contract. */
export function describeImageRepositoryDelete(name: string, factory: StorageHarnessFactory): void {
  describeImageRepositoryParts(name, factory, [deletePart]);
}

function outcomes(h: () => StorageHarness): void {
  it('answers NotFound for an unknown image and writes nothing', async () => {
    const id = globalThis.crypto.randomUUID();
    const outcome = await expectOk(h().images.deleteImage(deleteImageRequest({ id }, T1)));
    expect(outcome).toEqual({ kind: 'NotFound' });
    expect(await imageSnapshot(h(), id)).toEqual({ image: null, jobs: [], events: [] });
    expect(await expectOk(h().jobs.counts())).toEqual({ queued: 0, done: 0, dead: 0, cancelled: 0 });
  });

  it('answers Protected for a protected image and changes nothing', async () => {
    const image = await createFixtureImage(h(), { protected: true });
    const outcome = await expectOk(h().images.deleteImage(deleteImageRequest(image, T1)));
    expect(outcome).toEqual({ kind: 'Protected' });
    expect(await imageSnapshot(h(), image.id)).toEqual({ image, jobs: [], events: [] });
  });

  it('commits the image row (status, deleted_at), one job per location in order, one event; the image reads back with its children', async () => {
    const id = globalThis.crypto.randomUUID();
    const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 3), members: [{ memberId: 'p2' }] });
    const jobsDueAt = secondsAfter(T1, 60);
    const eventId = globalThis.crypto.randomUUID();
    const outcome = await deleteThroughRepository(h(), image, T1, { jobsDueAt, eventId });

    const expectedImage: Image = {
      ...image,
      status: 'deleted',
      deleted: true,
      deletedAt: T1,
      updatedAt: T1,
      locations: image.locations.map((l) => ({ ...l, status: 'pending_delete' })),
    };
    expect(outcome.image).toEqual(expectedImage);
    expect(await findImage(h(), id)).toEqual(expectedImage);

    expect(outcome.jobs).toHaveLength(3);
    outcome.jobs.forEach((job, index) => {
      const location = image.locations[index]!;
      expect(job).toMatchObject({
        imageId: id,
        locationId: location.id,
        url: location.url,
        state: 'queued',
        attempts: 0,
        availableAt: jobsDueAt,
        lastError: null,
        createdAt: T1,
      });
    });
    expect(new Set(outcome.jobs.map((j) => j.id)).size).toBe(3);
    expect(await expectOk(h().jobs.listJobs({ imageId: id }))).toEqual(outcome.jobs);

    expect(outcome.event).toEqual({
      id: eventId,
      type: 'image.delete',
      imageId: id,
      payload: toNotificationPayload(outcome.image),
      occurredAt: T1,
      deliveredAt: null,
      attempts: 0,
    });
    expect(outcome.event.payload).toMatchObject({
      id,
      status: 'deleted',
      deleted: true,
      deleted_at: isoTime(T1),
      protected: false,
      owner: FIXTURE_OWNER,
    });
    expect(await expectOk(h().outbox.listEvents({ imageId: id }))).toEqual([outcome.event]);
  });

  it('never puts a location, its url or its id in the event', async () => {
    const id = globalThis.crypto.randomUUID();
    const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
    const outcome = await deleteThroughRepository(h(), image, T1);
    for (const event of [outcome.event, ...(await expectOk(h().outbox.listEvents({ imageId: id })))]) {
      const json = JSON.stringify(event);
      expect(json).not.toMatch(/location/i);
      for (const location of image.locations) {
        expect(json).not.toContain(location.url);
        expect(json).not.toContain(location.id);
      }
    }
  });

  it('in delayed mode moves an image with data to pending_delete, jobs due at jobsDueAt', async () => {
    const image = await createFixtureImage(h());
    const jobsDueAt = secondsAfter(T1, 3600);
    const outcome = await deleteThroughRepository(h(), image, T1, { delayed: true, jobsDueAt });
    expect(outcome.image).toMatchObject({ status: 'pending_delete', deleted: true, deletedAt: T1, updatedAt: T1 });
    expect(outcome.image.locations.map((l) => l.status)).toEqual(['pending_delete']);
    expect(outcome.jobs.map((j) => j.availableAt)).toEqual([jobsDueAt]);
    expect(outcome.event.payload.status).toBe('pending_delete');
    expect(await findImage(h(), image.id)).toEqual(outcome.image);
  });

  it.each([false, true])('deletes an image without data outright (delayed: %s): zero jobs, one event', async (delayed) => {
    const image = await expectOk(h().catalog.createImage(emptyImageFixture(), T0));
    const outcome = await deleteThroughRepository(h(), image, T1, { delayed });
    expect(outcome.image).toMatchObject({ status: 'deleted', deleted: true, deletedAt: T1 });
    expect(outcome.jobs).toEqual([]);
    expect(await expectOk(h().jobs.listJobs({ imageId: image.id }))).toEqual([]);
    expect(await expectOk(h().outbox.listEvents({ imageId: image.id }))).toHaveLength(1);
  });

  it.each([...DELETABLE_STATUSES])('deletes an image in status %s', async (status) => {
    const image = await createFixtureImage(h(), { status });
    const outcome = await deleteThroughRepository(h(), image, T1);
    expect(outcome.image.status).toBe('deleted');
    expect(outcome.event.payload.status).toBe('deleted');
  });

  it('answers NotFound to a second delete: one event and one set of jobs per image', async () => {
    const image = await createFixtureImage(h());
    await deleteThroughRepository(h(), image, T1);
    const before = await imageSnapshot(h(), image.id);
    expect(await expectOk(h().images.deleteImage(deleteImageRequest(image, T2)))).toEqual({ kind: 'NotFound' });
    expect(await expectOk(h().images.deleteImage(deleteImageRequest(image, T2, { delayed: true })))).toEqual({ kind: 'NotFound' });
    expect(await imageSnapshot(h(), image.id)).toEqual(before);
  });

  it('answers NotFound for a pending_delete image', async () => {
    const image = await createFixtureImage(h());
    await deleteThroughRepository(h(), image, T1, { delayed: true });
    const before = await imageSnapshot(h(), image.id);
    expect(await expectOk(h().images.deleteImage(deleteImageRequest(image, T2)))).toEqual({ kind: 'NotFound' });
    expect(await imageSnapshot(h(), image.id)).toEqual(before);
  });
}

function racesAndFaults(h: () => StorageHarness): void {
  it('of 20 concurrent deletes of one image exactly one commits: one event, one set of jobs', async () => {
    await expectOneOfTwentyDeletesCommits(h());
  });

  it.each(['delete first', 'protect first'] as const)(
    'a delete racing "protected = true" (%s) either wins whole or is refused',
    async (order) => {
      const image = await createFixtureImage(h());
      const remove = () => expectOk(h().images.deleteImage(deleteImageRequest(image, T1)));
      const protect = () => expectOk(h().catalog.updateImage(image.id, { protected: true }, T1));
      const [outcome, update] =
        order === 'delete first'
          ? await Promise.all([remove(), protect()])
          : await Promise.all([protect(), remove()]).then(([u, o]) => [o, u] as const);
      const after = await findImage(h(), image.id);
      if (outcome.kind === 'Deleted') {
        expect(update).toBeNull();
        expect(after).toMatchObject({ status: 'deleted', protected: false });
        expect(await expectOk(h().outbox.listEvents({ imageId: image.id }))).toHaveLength(1);
      } else {
        expect(outcome.kind).toBe('Protected');
        expect(update).not.toBeNull();
        expect(after).toMatchObject({ status: 'active', protected: true, deleted: false });
        expect(await imageSnapshot(h(), image.id)).toEqual({ image: after, jobs: [], events: [] });
      }
    },
  );

  it('refuses an event id that is already in the outbox with StorageFault, writing nothing', async () => {
    const first = await createFixtureImage(h());
    const outcome = await deleteThroughRepository(h(), first, T1);
    const second = await createFixtureImage(h());
    const error = await expectErr(h().images.deleteImage(deleteImageRequest(second, T2, { eventId: outcome.event.id })));
    expect(error.kind).toBe('StorageFault');
    expect(await imageSnapshot(h(), second.id)).toEqual({ image: second, jobs: [], events: [] });
  });

  it.for([
    ['StorageUnavailable', storageUnavailable()],
    ['StorageFault', storageFault()],
  ] as [string, StorageError][])('a delete failing mid-transaction with %s leaves nothing behind', async ([kind, error], { skip }) => {
    if (h().injectFault === undefined) skip('the harness has no injectFault hook');
    const id = globalThis.crypto.randomUUID();
    const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
    await h().injectFault!({ method: 'deleteImage', error, midTransaction: true });
    expect((await expectErr(h().images.deleteImage(deleteImageRequest(image, T1)))).kind).toBe(kind);
    expect(await imageSnapshot(h(), id)).toEqual({ image, jobs: [], events: [] });
    expect((await deleteThroughRepository(h(), image, T2)).jobs).toHaveLength(2);
  });

  it('a delete failing before it starts answers the error and changes nothing', async ({ skip }) => {
    if (h().injectFault === undefined) skip('the harness has no injectFault hook');
    const image = await createFixtureImage(h());
    await h().injectFault!({ method: 'deleteImage', error: storageUnavailable() });
    const error = await expectErr(h().images.deleteImage(deleteImageRequest(image, T1)));
    expect(error).toMatchObject({ kind: 'StorageUnavailable', retryAfterSeconds: expect.any(Number) });
    expect(await imageSnapshot(h(), image.id)).toEqual({ image, jobs: [], events: [] });
  });
}
