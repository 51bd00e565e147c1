// The contract of ImageRepository and ImageCatalog every storage adapter must pass: authoring, the atomic delete, restore.
import {
  DELETABLE_STATUSES,
  isoTime,
  storageFault,
  storageUnavailable,
  planDeletion,
  toNotificationPayload,
  type DeleteDecision,
  type DeletionPlan,
  type Image,
  type StorageError,
} from '@image-catalog/core';
import { newImageRecord, type NewImage } from '@image-catalog/core/authoring';
import { describe, expect, it } from 'vitest';
import { expectErr, expectOk } from './expect-result.js';
import { describeImageCatalogInputContract } from './image-catalog-input.contract.js';
import { allowingDecision, deleteImageRequest, planSettings } from './fixtures/delete-image-request.js';
import { emptyImageFixture, FIXTURE_OWNER, fixtureLocations, imageFixture } from './fixtures/image-fixture.js';
import { secondsAfter, TEST_EPOCH } from './fixtures/test-clock.js';
import { createFixtureImage, deleteThroughRepository, findImage, imageSnapshot } from './harness-helpers.js';
import type { StorageHarness, StorageHarnessFactory } from './storage-harness.js';
import { useHarness } from './use-harness.js';

const T0 = TEST_EPOCH;
const T1 = secondsAfter(T0, 10);
const T2 = secondsAfter(T0, 20);

/**
 * Registers the ImageRepository & ImageCatalog contract for an adapter. `factory` is called
 * before every test and must return an empty store.
 */
export function describeImageRepositoryContract(name: string, factory: StorageHarnessFactory): void {
  describe(`${name}: ImageRepository & ImageCatalog contract`, () => {
    const h = useHarness(factory);
    describeImageCatalogInputContract(name, factory);

    describe('authoring', () => {
      it('createImage stores the image with Glance defaults and findById returns it', async () => {
        const input: NewImage = { id: globalThis.crypto.randomUUID(), owner: 'p1' };
        const created = await expectOk(h().catalog.createImage(input, T0));
        expect(created).toEqual(newImageRecord(input, T0));
        expect(created).toMatchObject({ status: 'queued', visibility: 'shared', protected: false, deleted: false, deletedAt: null, createdAt: T0, updatedAt: T0 });
        expect(await findImage(h(), input.id)).toEqual(created);
      });

      it('createImage keeps every given field, members as pending and locations active in order', async () => {
        const id = globalThis.crypto.randomUUID();
        const input = imageFixture({ id, members: [{ memberId: 'p2' }, { memberId: 'p3', status: 'accepted' }], locations: fixtureLocations(id, 3) });
        const created = await expectOk(h().catalog.createImage(input, T0));
        expect(created).toMatchObject({
          id,
          name: input.name,
          owner: FIXTURE_OWNER,
          status: 'active',
          visibility: 'private',
          size: 1024,
          virtualSize: 4096,
          checksum: input.checksum,
          osHashAlgo: 'sha512',
          osHashValue: input.osHashValue,
          diskFormat: 'qcow2',
          containerFormat: 'bare',
          minDisk: 1,
          minRam: 512,
          properties: input.properties,
        });
        expect([...created.tags].sort()).toEqual([...(input.tags ?? [])].sort());
        expect(created.members).toEqual([
          { memberId: 'p2', status: 'pending', createdAt: T0, updatedAt: T0 },
          { memberId: 'p3', status: 'accepted', createdAt: T0, updatedAt: T0 },
        ]);
        expect(created.locations.map((l) => [l.url, l.status, l.metadata])).toEqual(input.locations!.map((l) => [l.url, 'active', l.metadata]));
        expect(new Set(created.locations.map((l) => l.id)).size).toBe(3);
        expect(await findImage(h(), id)).toEqual(created);
      });

      it('findById answers null for an unknown id', async () => {
        expect(await expectOk(h().images.findById(globalThis.crypto.randomUUID()))).toBeNull();
      });

      it('createImage answers Conflict for a taken id, even one of a deleted image, and changes nothing', async () => {
        const image = await createFixtureImage(h());
        const again = await expectErr(h().catalog.createImage(imageFixture({ id: image.id, name: 'other' }), T1));
        expect(again.kind).toBe('Conflict');
        expect(await findImage(h(), image.id)).toEqual(image);

        await deleteThroughRepository(h(), image, T1);
        const afterDelete = await expectErr(h().catalog.createImage(imageFixture({ id: image.id }), T2));
        expect(afterDelete.kind).toBe('Conflict');
        expect((await findImage(h(), image.id)).status).toBe('deleted');
      });

      it('hands out copies: changing a returned image or the input changes nothing stored', async () => {
        const input = imageFixture({ properties: { k: 'v' } });
        const created = await createFixtureImage(h(), input);
        (input.properties as Record<string, string>)['k'] = 'changed-input';
        (created.properties as Record<string, string>)['k'] = 'changed-output';
        (created.tags as string[]).push('changed');
        created.createdAt.setTime(0);
        const found = await findImage(h(), created.id);
        expect(found.properties).toEqual({ k: 'v' });
        expect(found.tags).not.toContain('changed');
        expect(found.createdAt).toEqual(T0);
      });

      it('listImages lists live images oldest first, filters by exact name and honours limit', async () => {
        const a = await createFixtureImage(h(), { name: 'alpha' }, T0);
        const b = await createFixtureImage(h(), { name: 'beta' }, secondsAfter(T0, 1));
        const c = await createFixtureImage(h(), { name: 'alpha' }, secondsAfter(T0, 2));
        const d = await createFixtureImage(h(), { name: 'alpha' }, secondsAfter(T0, 3));
        const e = await createFixtureImage(h(), { name: 'alpha' }, secondsAfter(T0, 4));
        await deleteThroughRepository(h(), d, T1);
        await deleteThroughRepository(h(), e, T1, { delayed: true });

        const ids = async (query: Parameters<StorageHarness['catalog']['listImages']>[0]) => (await expectOk(h().catalog.listImages(query))).map((i) => i.id);
        expect(await ids({})).toEqual([a.id, b.id, c.id]);
        expect(await ids({ name: 'alpha' })).toEqual([a.id, c.id]);
        expect(await ids({ name: 'alph' })).toEqual([]);
        expect(await ids({ limit: 2 })).toEqual([a.id, b.id]);
        expect(await ids({ name: 'alpha', limit: 1 })).toEqual([a.id]);
      });

      it('updateImage applies only the given fields and sets updatedAt', async () => {
        const image = await createFixtureImage(h(), { name: 'before', visibility: 'private' });
        const updated = await expectOk(h().catalog.updateImage(image.id, { protected: true, name: 'after' }, T1));
        expect(updated).toEqual({ ...image, protected: true, name: 'after', updatedAt: T1 });
        expect(await findImage(h(), image.id)).toEqual(updated);

        const more = await expectOk(h().catalog.updateImage(image.id, { visibility: 'community', status: 'deactivated', name: null }, T2));
        expect(more).toEqual({ ...image, protected: true, name: null, visibility: 'community', status: 'deactivated', updatedAt: T2 });
      });

      it('updateImage, addMember and attachImageData answer null for an unknown image', async () => {
        const id = globalThis.crypto.randomUUID();
        expect(await expectOk(h().catalog.updateImage(id, { protected: true }, T1))).toBeNull();
        expect(await expectOk(h().catalog.addMember(id, 'p2', T1))).toBeNull();
        expect(await expectOk(h().catalog.attachImageData(id, { url: 'fixture://x', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h' }, T1))).toBeNull();
        expect(await expectOk(h().images.findById(id))).toBeNull();
      });

      it.each(['deleted', 'pending_delete'] as const)('updateImage refuses to set status %s (only deleteImage cascades) and changes nothing', async (status) => {
        const image = await createFixtureImage(h());
        const error = await expectErr(h().catalog.updateImage(image.id, { status }, T1));
        expect(error.kind).toBe('StorageFault');
        expect(await imageSnapshot(h(), image.id)).toEqual({ image, jobs: [], events: [] });
      });

      it('addMember adds a pending member once; adding it again keeps the first', async () => {
        const image = await createFixtureImage(h());
        const member = await expectOk(h().catalog.addMember(image.id, 'p2', T1));
        expect(member).toEqual({ memberId: 'p2', status: 'pending', createdAt: T1, updatedAt: T1 });
        const again = await expectOk(h().catalog.addMember(image.id, 'p2', T2));
        expect(again).toEqual(member);
        await expectOk(h().catalog.addMember(image.id, 'p3', T2));
        expect((await findImage(h(), image.id)).members.map((m) => m.memberId)).toEqual(['p2', 'p3']);
      });

      it('attachImageData adds an active location, sets size and digests and makes the image active', async () => {
        const image = await expectOk(h().catalog.createImage(emptyImageFixture(), T0));
        const data = { url: 'fixture://uploaded/1', size: 42, checksum: 'c'.repeat(32), osHashAlgo: 'sha512', osHashValue: 'd'.repeat(128), metadata: { store: 'test' } };
        const attached = await expectOk(h().catalog.attachImageData(image.id, data, T1));
        expect(attached).toMatchObject({ status: 'active', size: 42, checksum: data.checksum, osHashAlgo: 'sha512', osHashValue: data.osHashValue, updatedAt: T1 });
        expect(attached?.locations.map((l) => [l.url, l.status, l.metadata])).toEqual([['fixture://uploaded/1', 'active', { store: 'test' }]]);
        expect(await findImage(h(), image.id)).toEqual(attached);

        const second = await expectOk(h().catalog.attachImageData(image.id, { ...data, url: 'fixture://uploaded/2', metadata: undefined }, T2));
        expect(second?.locations.map((l) => l.url)).toEqual(['fixture://uploaded/1', 'fixture://uploaded/2']);
      });

      it.each([
        ['deleted', false],
        ['pending_delete', true],
      ] as const)('a %s image cannot be updated, joined or given data: null, and nothing changes', async (_status, delayed) => {
        const image = await createFixtureImage(h());
        await deleteThroughRepository(h(), image, T1, { delayed });
        const before = await imageSnapshot(h(), image.id);
        expect(await expectOk(h().catalog.updateImage(image.id, { protected: true, name: 'x' }, T2))).toBeNull();
        expect(await expectOk(h().catalog.addMember(image.id, 'p9', T2))).toBeNull();
        expect(await expectOk(h().catalog.attachImageData(image.id, { url: 'fixture://late', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h' }, T2))).toBeNull();
        expect(await imageSnapshot(h(), image.id)).toEqual(before);
      });
    });

    describe('deleteImage', () => {
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

      it('commits the whole cascade: status, deleted_at everywhere, one job per location in order, one event', async () => {
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
        expect(outcome.event.payload).toMatchObject({ id, status: 'deleted', deleted: true, deleted_at: isoTime(T1), protected: false, owner: FIXTURE_OWNER });
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

      it('of 20 concurrent deletes of one image exactly one commits: one event, one set of jobs', async () => {
        const id = globalThis.crypto.randomUUID();
        const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
        const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => expectOk(h().images.deleteImage(deleteImageRequest(image, secondsAfter(T1, i))))));
        expect(outcomes.filter((o) => o.kind === 'Deleted')).toHaveLength(1);
        expect(outcomes.filter((o) => o.kind === 'NotFound')).toHaveLength(19);
        expect(await expectOk(h().outbox.listEvents({ imageId: id }))).toHaveLength(1);
        expect(await expectOk(h().jobs.listJobs({ imageId: id }))).toHaveLength(2);
      });

      it.each(['delete first', 'protect first'] as const)('a delete racing "protected = true" (%s) either wins whole or is refused', async (order) => {
        const image = await createFixtureImage(h());
        const remove = () => expectOk(h().images.deleteImage(deleteImageRequest(image, T1)));
        const protect = () => expectOk(h().catalog.updateImage(image.id, { protected: true }, T1));
        const [outcome, update] =
          order === 'delete first' ? await Promise.all([remove(), protect()]) : await Promise.all([protect(), remove()]).then(([u, o]) => [o, u] as const);
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
      });

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
    });

    describe('deleteImage: the decision', () => {
      /** A request deciding with `decide` instead of the default (delete what is live and unprotected). */
      const deciding = (image: Pick<Image, 'id'>, at: Date, decide: (image: Image | null) => DeleteDecision) => deleteImageRequest(image, at, { decide });

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
          h().images.deleteImage(deciding(image, T1, (current) => {
            if (current === null) return { kind: 'NotFound' };
            planned = planDeletion(current, settings);
            return { kind: 'Delete', plan: planned };
          })),
        );
        expect(outcome).toEqual({ kind: 'Deleted', ...planned! });
        const after = await imageSnapshot(h(), id);
        expect(after.image).toMatchObject({ status: 'pending_delete', deleted: true, deletedAt: T1, updatedAt: T1 });
        expect(after.jobs.map((j) => [j.id, j.locationId, j.availableAt])).toEqual(planned!.jobs.map((j) => [j.id, j.locationId, secondsAfter(T1, 900)]));
        expect(after.events.map((e) => [e.id, e.payload])).toEqual([[settings.eventId, planned!.event.payload]]);
      });

      it('calls decide once, on the image as it is in the transaction (later changes included)', async () => {
        const image = await createFixtureImage(h(), { visibility: 'private' });
        await expectOk(h().catalog.updateImage(image.id, { visibility: 'shared', name: 'renamed' }, T1));
        await expectOk(h().catalog.addMember(image.id, 'p-late', T1));
        const current = await findImage(h(), image.id);
        const seen: (Image | null)[] = [];
        const outcome = await expectOk(h().images.deleteImage(deciding(image, T2, (i) => (seen.push(structuredClone(i)), { kind: 'Forbidden' }))));
        expect(outcome).toEqual({ kind: 'Forbidden' });
        expect(seen).toEqual([current]);
        expect(await findImage(h(), image.id)).toEqual(current);
      });

      it('hands decide null for an unknown id, and a deleted or pending_delete image as it is (the default decision answers NotFound)', async () => {
        const seen: (Image | null)[] = [];
        const unknown = { id: globalThis.crypto.randomUUID() };
        expect(await expectOk(h().images.deleteImage(deciding(unknown, T1, (i) => (seen.push(i), { kind: 'NotFound' }))))).toEqual({ kind: 'NotFound' });
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
        const error = await expectErr(h().images.deleteImage(deciding(image, T1, () => { throw new Error('decide defect (injected)'); })));
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
        const id = globalThis.crypto.randomUUID();
        const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
        const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => expectOk(h().images.deleteImage(deleteImageRequest(image, secondsAfter(T1, i))))));
        expect(outcomes.filter((o) => o.kind === 'Deleted')).toHaveLength(1);
        expect(outcomes.filter((o) => o.kind === 'NotFound')).toHaveLength(19);
        expect(await expectOk(h().outbox.listEvents({ imageId: id }))).toHaveLength(1);
        expect(await expectOk(h().jobs.listJobs({ imageId: id }))).toHaveLength(2);
      });
    });

    describe('restoreImage', () => {
      it('answers NotFound for an unknown image', async () => {
        expect(await expectOk(h().images.restoreImage(globalThis.crypto.randomUUID(), T1))).toEqual({ kind: 'NotFound' });
      });

      it('answers NotPendingDelete for a live or a deleted image, changing nothing', async () => {
        const live = await createFixtureImage(h());
        expect(await expectOk(h().images.restoreImage(live.id, T1))).toEqual({ kind: 'NotPendingDelete', status: 'active' });
        expect(await findImage(h(), live.id)).toEqual(live);

        const gone = await createFixtureImage(h());
        await deleteThroughRepository(h(), gone, T1);
        const before = await imageSnapshot(h(), gone.id);
        expect(await expectOk(h().images.restoreImage(gone.id, T2))).toEqual({ kind: 'NotPendingDelete', status: 'deleted' });
        expect(await imageSnapshot(h(), gone.id)).toEqual(before);
      });

      it('brings a pending_delete image back: active, locations active, jobs cancelled, the event kept', async () => {
        const id = globalThis.crypto.randomUUID();
        const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
        const outcome = await deleteThroughRepository(h(), image, T1, { delayed: true, jobsDueAt: secondsAfter(T1, 3600) });

        const restored = await expectOk(h().images.restoreImage(id, T2));
        const expected: Image = { ...image, status: 'active', deleted: false, deletedAt: null, updatedAt: T2 };
        expect(restored).toEqual({ kind: 'Restored', image: expected });
        expect(await findImage(h(), id)).toEqual(expected);
        expect((await expectOk(h().jobs.listJobs({ imageId: id }))).map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
        expect(await expectOk(h().jobs.claimDue({ now: secondsAfter(T2, 86_400), limit: 10, leaseSeconds: 60 }))).toEqual([]);
        expect(await expectOk(h().outbox.listEvents({ imageId: id }))).toEqual([outcome.event]);

        expect((await expectOk(h().catalog.listImages({}))).map((i) => i.id)).toEqual([id]);
        expect(await expectOk(h().catalog.updateImage(id, { name: 'back' }, T2))).not.toBeNull();
        const again = await deleteThroughRepository(h(), { ...image, name: 'back' } as Image, secondsAfter(T2, 1));
        expect(again.jobs).toHaveLength(2);
        expect(await expectOk(h().outbox.listEvents({ imageId: id }))).toHaveLength(2);
      });

      it('cancels dead jobs too: their data was never removed, and a requeue must not delete a live image\'s data', async () => {
        const id = globalThis.crypto.randomUUID();
        const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
        const outcome = await deleteThroughRepository(h(), image, T1, { delayed: true, jobsDueAt: T1 });
        await expectOk(h().jobs.fail(outcome.jobs[0]!.id, { now: T2, error: 'refused', retryAt: null }));
        expect((await expectOk(h().images.restoreImage(id, T2))).kind).toBe('Restored');
        expect((await expectOk(h().jobs.listJobs({ imageId: id }))).map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
        expect(await expectOk(h().jobs.requeueDead(T2))).toBe(0);
      });

      it('answers DataAlreadyDeleted once some of the data is gone, changing nothing', async () => {
        const id = globalThis.crypto.randomUUID();
        const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
        const outcome = await deleteThroughRepository(h(), image, T1, { delayed: true, jobsDueAt: T1 });
        await expectOk(h().jobs.complete(outcome.jobs[0]!.id, T2));
        const before = await imageSnapshot(h(), id);
        expect(await expectOk(h().images.restoreImage(id, T2))).toEqual({ kind: 'DataAlreadyDeleted' });
        expect(await imageSnapshot(h(), id)).toEqual(before);
      });

      describe('against a scrubber: claimed data is never restored, restored data is never claimed', () => {
        const LEASE = 60;
        const DUE = secondsAfter(T1, 3600);
        const claim = (now: Date) => expectOk(h().jobs.claimDue({ now, limit: 10, leaseSeconds: LEASE }));

        /** A delayed delete of an image with two locations; jobs due at `DUE`. */
        async function pendingDelete() {
          const id = globalThis.crypto.randomUUID();
          const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
          const outcome = await deleteThroughRepository(h(), image, T1, { delayed: true, jobsDueAt: DUE });
          return { id, image, outcome };
        }

        /** What happened to the claimed job before the restore, and when the restore is tried. */
        const afterClaim: [string, (jobId: string) => Promise<unknown>, Date][] = [
          ['still being deleted (claimed, queued, leased)', async () => undefined, secondsAfter(DUE, 1)],
          ['whose worker crashed (lease expired)', async () => undefined, secondsAfter(DUE, 10 * LEASE)],
          ['that failed and waits for a retry', (jobId) => expectOk(h().jobs.fail(jobId, { now: secondsAfter(DUE, 1), error: 'timeout', retryAt: secondsAfter(DUE, 600) })), secondsAfter(DUE, 2)],
          ['that was dead-lettered', (jobId) => expectOk(h().jobs.fail(jobId, { now: secondsAfter(DUE, 1), error: 'refused', retryAt: null })), secondsAfter(DUE, 2)],
        ];

        it.each(afterClaim)('answers DataAlreadyDeleted once one job was claimed, %s, changing nothing', async (_case, then, restoreAt) => {
          const { id, outcome } = await pendingDelete();
          // The scrubber claims one of the two jobs; it is still `queued`, nothing is done yet.
          const claimed = await expectOk(h().jobs.claimDue({ now: DUE, limit: 1, leaseSeconds: LEASE }));
          expect(claimed.map((j) => j.id)).toEqual([outcome.jobs[0]!.id]);
          expect(claimed[0]!.state).toBe('queued');
          await then(outcome.jobs[0]!.id);

          const before = await imageSnapshot(h(), id);
          expect(before.image).toMatchObject({ status: 'pending_delete', deleted: true, deletedAt: T1 });
          expect(await expectOk(h().images.restoreImage(id, restoreAt))).toEqual({ kind: 'DataAlreadyDeleted' });
          expect(await imageSnapshot(h(), id)).toEqual(before);
        });

        it('the scrubber that claimed the job then finishes the delete: the image ends deleted, never live', async () => {
          const { id, outcome } = await pendingDelete();
          const claimed = await claim(DUE);
          expect(claimed.map((j) => j.id)).toEqual(outcome.jobs.map((j) => j.id));
          expect(await expectOk(h().images.restoreImage(id, secondsAfter(DUE, 1)))).toEqual({ kind: 'DataAlreadyDeleted' });
          for (const j of claimed) await expectOk(h().jobs.complete(j.id, secondsAfter(DUE, 2)));
          expect(await findImage(h(), id)).toMatchObject({ status: 'deleted', deleted: true, deletedAt: T1 });
          expect(await expectOk(h().images.restoreImage(id, secondsAfter(DUE, 3)))).toEqual({ kind: 'NotPendingDelete', status: 'deleted' });
        });

        it('a restore committed before any claim wins: past due, claimDue hands out nothing of that image', async () => {
          const { id, image } = await pendingDelete();
          // Due but not claimed yet: the restore still wins.
          expect((await expectOk(h().images.restoreImage(id, secondsAfter(DUE, 1)))).kind).toBe('Restored');
          expect(await claim(secondsAfter(DUE, 2))).toEqual([]);
          expect(await claim(secondsAfter(DUE, 86_400))).toEqual([]);
          expect((await expectOk(h().jobs.listJobs({ imageId: id }))).map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
          expect(await findImage(h(), id)).toEqual({ ...image, status: 'active', deleted: false, deletedAt: null, updatedAt: secondsAfter(DUE, 1) });
        });

        it.each(['claim first', 'restore first'] as const)('a claim racing a restore (%s): exactly one of them wins, whole', async (order) => {
          for (let round = 0; round < 5; round++) {
            const { id, image } = await pendingDelete();
            const at = secondsAfter(DUE, round + 1);
            const claimIt = () => claim(at);
            const restoreIt = () => expectOk(h().images.restoreImage(id, at));
            const [claimedAll, restored] =
              order === 'claim first' ? await Promise.all([claimIt(), restoreIt()]) : await Promise.all([restoreIt(), claimIt()]).then(([r, c]) => [c, r] as const);
            const claimed = claimedAll.filter((j) => j.imageId === id);
            const jobs = await expectOk(h().jobs.listJobs({ imageId: id }));
            if (restored.kind === 'Restored') {
              expect(claimed).toEqual([]);
              expect(jobs.map((j) => j.state)).toEqual(['cancelled', 'cancelled']);
              expect((await findImage(h(), id)).status).toBe(image.status);
            } else {
              expect(restored).toEqual({ kind: 'DataAlreadyDeleted' });
              expect(claimed.length).toBeGreaterThan(0);
              expect(jobs.map((j) => j.id)).toEqual(expect.arrayContaining(claimed.map((j) => j.id)));
              expect(jobs.map((j) => j.state)).toEqual(['queued', 'queued']);
              expect((await findImage(h(), id)).status).toBe('pending_delete');
              // Finish this image's jobs, so the next round's claim sees only its own image.
              for (const j of jobs) await expectOk(h().jobs.complete(j.id, at));
              expect((await findImage(h(), id)).status).toBe('deleted');
            }
          }
        });
      });

      it('a restore failing mid-transaction leaves the image pending_delete with its jobs queued', async ({ skip }) => {
        if (h().injectFault === undefined) skip('the harness has no injectFault hook');
        const image = await createFixtureImage(h());
        await deleteThroughRepository(h(), image, T1, { delayed: true });
        const before = await imageSnapshot(h(), image.id);
        await h().injectFault!({ method: 'restoreImage', error: storageFault(), midTransaction: true });
        expect((await expectErr(h().images.restoreImage(image.id, T2))).kind).toBe('StorageFault');
        expect(await imageSnapshot(h(), image.id)).toEqual(before);
      });
    });
  });
}
