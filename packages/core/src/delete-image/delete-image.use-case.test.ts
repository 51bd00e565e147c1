// DeleteImage over core's in-test storage: DESIGN §3's checks and messages, both policy paths, defects, and what a delete writes.
import { randomUUID } from 'node:crypto';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { describe, expect, it, vi } from 'vitest';
import { DataDeletionWorker } from '../data-deletion/data-deletion-worker.js';
import { opaqueImageIdFormat, uuidImageIdFormat } from '../image/image-id.js';
import type { Image } from '../image/image.js';
import type { NewImage } from '../image/new-image.js';
import type { Principal } from '../image/principal.js';
import type { DeletePolicy } from '../ports/delete-policy.port.js';
import type { ImageRepository } from '../ports/image-repository.port.js';
import { silentLogger, type Logger } from '../ports/logger.port.js';
import { storageFault, storageUnavailable } from '../ports/storage-error.js';
import { defaultCanDelete, defaultDeletePolicy } from '../policy/default-delete-policy.js';
import { adminPrincipal, projectMember, projectReader } from '../test-support/principals.js';
import { recordingLogger } from '../test-support/recording-logger.js';
import { TestClock } from '../test-support/test-clock.js';
import { TestDataStore } from '../test-support/test-data-store.js';
import { createTestStorage, type TestStorage } from '../test-support/test-storage.js';
import { DeleteImage, type DeleteImageOptions } from './delete-image.use-case.js';

interface SetupOptions extends DeleteImageOptions {
  /** The policy, or a function building it over the storage (to change the image while the policy is asked). */
  readonly policy?: DeletePolicy | ((storage: TestStorage) => DeletePolicy);
  /** `false`: no inline data deletion (no worker). */
  readonly inline?: boolean;
  readonly logger?: Logger;
  /** Replaces the storage's repository, e.g. with one that misbehaves. */
  readonly repository?: (storage: TestStorage) => ImageRepository;
}

function setup(options: SetupOptions = {}) {
  const {
    policy = defaultDeletePolicy,
    inline = true,
    logger = silentLogger,
    repository = (storage) => storage.images,
    ...useCase
  } = options;
  const clock = new TestClock();
  const storage = createTestStorage();
  const data = new TestDataStore();
  const worker = new DataDeletionWorker(data, storage.jobs, clock, silentLogger, { backoff: { random: () => 0 } });
  const deleteImage = new DeleteImage(
    repository(storage),
    typeof policy === 'function' ? policy(storage) : policy,
    clock,
    inline ? worker : null,
    logger,
    useCase,
  );

  /** A live, private image of project p1 with `locations` data locations the data store holds. */
  function seed(overrides: Partial<NewImage> = {}, locations = 1) {
    const id = overrides.id ?? randomUUID();
    const urls = Array.from({ length: locations }, () => data.newUrl(id));
    for (const url of urls) data.put(url);
    const image = storage.seed({
      id,
      owner: 'p1',
      status: 'active',
      visibility: 'private',
      locations: urls.map((url) => ({ url })),
      ...overrides,
    });
    return { id, urls, image };
  }
  const execute = (imageId: string, principal: Principal) => deleteImage.execute({ imageId, principal });
  /** The image, its jobs and every event: what a refused delete must leave as it was. */
  const snapshot = async (imageId: string) => ({
    image: (await storage.images.findById(imageId))._unsafeUnwrap(),
    jobs: (await storage.jobs.listJobs({ imageId }))._unsafeUnwrap(),
    events: (await storage.outbox.listEvents({}))._unsafeUnwrap(),
  });
  return { clock, storage, data, deleteImage, seed, execute, snapshot };
}

/** A policy without `canDeleteSync`: the use case asks it before the transaction, on the image it reads first. */
function asyncPolicy(before?: (principal: Principal, imageId: string) => void): DeletePolicy & { readonly asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    canDelete(principal, image) {
      asked.push(image.id);
      before?.(principal, image.id);
      return okAsync(defaultCanDelete(principal, image));
    },
  };
}

describe('DeleteImage: the order of checks (DESIGN §3)', () => {
  it.each(['', 'not-a-uuid', 'a'.repeat(300), `${randomUUID()}\n`, '../../etc/passwd'])(
    'refuses the malformed id %j with InvalidImageId before storage is touched, even storage that is down',
    async (raw) => {
      const h = setup();
      h.storage.failNext('deleteImage', storageUnavailable());
      const failure = (await h.execute(raw, adminPrincipal()))._unsafeUnwrapErr();
      expect(failure).toEqual({ kind: 'InvalidImageId', message: `Invalid image id: expected ${uuidImageIdFormat.description}.` });
      expect(h.storage.callsOf('findById') + h.storage.callsOf('deleteImage')).toBe(0);
    },
  );

  it('validates with the configured id format', async () => {
    const h = setup({ idFormat: opaqueImageIdFormat() });
    h.seed({ id: 'ubuntu-22.04' });
    expect((await h.execute('ubuntu-22.04', projectMember('p1')))._unsafeUnwrap().imageId).toBe('ubuntu-22.04');
    expect((await h.execute('a/b', projectMember('p1')))._unsafeUnwrapErr()).toEqual({
      kind: 'InvalidImageId',
      message: 'Invalid image id: expected an opaque id of at most 255 characters.',
    });
  });

  it('answers ImageNotFound for an unknown id, naming the normalised id', async () => {
    const h = setup();
    const id = randomUUID();
    expect((await h.execute(id.toUpperCase(), adminPrincipal()))._unsafeUnwrapErr()).toEqual({
      kind: 'ImageNotFound',
      imageId: id,
      message: `No image found with ID ${id}`,
    });
  });

  it('finds an image by its id in upper case', async () => {
    const h = setup();
    const { id } = h.seed();
    expect((await h.execute(id.toUpperCase(), projectMember('p1')))._unsafeUnwrap()).toMatchObject({ imageId: id, status: 'deleted' });
  });

  it('answers ImageNotFound for an image already deleted or pending delete', async () => {
    const h = setup();
    const { id } = h.seed();
    (await h.execute(id, adminPrincipal()))._unsafeUnwrap();
    expect((await h.execute(id, adminPrincipal()))._unsafeUnwrapErr().kind).toBe('ImageNotFound');

    const delayed = setup({ delayedDelete: { delaySeconds: 60 } });
    const pending = delayed.seed();
    expect((await delayed.execute(pending.id, adminPrincipal()))._unsafeUnwrap().status).toBe('pending_delete');
    expect((await delayed.execute(pending.id, adminPrincipal()))._unsafeUnwrapErr()).toMatchObject({
      kind: 'ImageNotFound',
      imageId: pending.id,
    });
  });

  it('answers ImageNotFound for an image the caller cannot see, though it is protected and the policy would deny', async () => {
    const h = setup();
    const { id } = h.seed({ protected: true });
    const before = await h.snapshot(id);
    expect((await h.execute(id, projectMember('p2')))._unsafeUnwrapErr()).toEqual({
      kind: 'ImageNotFound',
      imageId: id,
      message: `No image found with ID ${id}`,
    });
    expect(await h.snapshot(id)).toEqual(before);
  });

  it('answers DeleteForbidden when the policy denies a visible image, before looking at protected', async () => {
    const h = setup();
    const { id } = h.seed({ protected: true, visibility: 'public' });
    const before = await h.snapshot(id);
    const forbidden = { kind: 'DeleteForbidden', imageId: id, message: 'You are not authorized to complete delete_image action.' };
    expect((await h.execute(id, projectReader('p1')))._unsafeUnwrapErr()).toEqual(forbidden);
    expect((await h.execute(id, projectMember('p2')))._unsafeUnwrapErr()).toEqual(forbidden);
    expect(await h.snapshot(id)).toEqual(before);
  });

  it('answers ImageProtected for a protected image the caller may delete', async () => {
    const h = setup();
    const { id } = h.seed({ protected: true });
    const before = await h.snapshot(id);
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrapErr()).toEqual({
      kind: 'ImageProtected',
      imageId: id,
      message: `Image ${id} is protected and cannot be deleted.`,
    });
    expect(await h.snapshot(id)).toEqual(before);
  });

  it.each([
    ['StorageUnavailable', storageUnavailable(undefined, 7)],
    ['StorageFault', storageFault()],
  ] as const)('passes %s from the store through unchanged', async (_kind, error) => {
    const h = setup();
    const { id } = h.seed();
    h.storage.failNext('deleteImage', error);
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrapErr()).toEqual(error);
    expect((await h.storage.images.findById(id))._unsafeUnwrap()?.status).toBe('active');
  });
});

describe('DeleteImage: synchronous and asynchronous policies', () => {
  it('with a synchronous policy, decides inside the transaction: no read before it, canDelete never asked', async () => {
    const canDelete = vi.fn(defaultDeletePolicy.canDelete);
    const h = setup({ policy: { canDelete, canDeleteSync: defaultCanDelete } });
    const { id } = h.seed();
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrap().status).toBe('deleted');
    expect(h.storage.callsOf('findById')).toBe(0);
    expect(h.storage.callsOf('deleteImage')).toBe(1);
    expect(canDelete).not.toHaveBeenCalled();
  });

  it('asks an asynchronous policy once, on the image read just before the transaction', async () => {
    const policy = asyncPolicy();
    const h = setup({ policy });
    const { id } = h.seed();
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrap().status).toBe('deleted');
    expect(policy.asked).toEqual([id]);
    expect(h.storage.callsOf('findById')).toBe(1);
    const denied = h.seed();
    expect((await h.execute(denied.id, projectReader('p1')))._unsafeUnwrapErr().kind).toBe('DeleteForbidden');
  });

  it('pins an asynchronous verdict to the owner it saw: an owner changed before the commit is DeleteForbidden, nothing written', async () => {
    const h = setup({ policy: (storage) => asyncPolicy((_principal, imageId) => storage.change(imageId, { owner: 'p2' })) });
    const { id } = h.seed();
    expect((await h.execute(id, adminPrincipal()))._unsafeUnwrapErr()).toMatchObject({ kind: 'DeleteForbidden', imageId: id });
    expect((await h.storage.images.findById(id))._unsafeUnwrap()).toMatchObject({ status: 'active', owner: 'p2' });
    expect((await h.storage.outbox.listEvents({}))._unsafeUnwrap()).toEqual([]);
  });

  it('keeps an asynchronous verdict when only other fields changed, and still checks protected and liveness at commit', async () => {
    let change: Partial<Image> = {};
    const h = setup({ policy: (storage) => asyncPolicy((_principal, imageId) => storage.change(imageId, change)) });

    change = { name: 'renamed' };
    expect((await h.execute(h.seed().id, projectMember('p1')))._unsafeUnwrap().status).toBe('deleted');

    change = { protected: true };
    expect((await h.execute(h.seed().id, projectMember('p1')))._unsafeUnwrapErr().kind).toBe('ImageProtected');

    change = { status: 'deleted', deleted: true, deletedAt: h.clock.now() };
    expect((await h.execute(h.seed().id, projectMember('p1')))._unsafeUnwrapErr().kind).toBe('ImageNotFound');
  });

  it('answers DeleteForbidden for an image that appeared after the read: the policy never saw it', async () => {
    const policy = asyncPolicy();
    const id = randomUUID();
    const appearing = (storage: TestStorage): ImageRepository => ({
      ...storage.images,
      findById: (imageId) =>
        storage.images.findById(imageId).map((found) => {
          storage.seed({ id, owner: 'p1', status: 'active', visibility: 'private' });
          return found;
        }),
    });
    const h = setup({ policy, repository: appearing });
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrapErr()).toMatchObject({ kind: 'DeleteForbidden', imageId: id });
    expect(policy.asked).toEqual([]);
    expect((await h.storage.images.findById(id))._unsafeUnwrap()?.status).toBe('active');
  });

  it('passes a failing read or policy through, and then writes nothing', async () => {
    const h = setup({ policy: asyncPolicy() });
    const { id } = h.seed();
    h.storage.failNext('findById', storageUnavailable(undefined, 3));
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrapErr()).toMatchObject({
      kind: 'StorageUnavailable',
      retryAfterSeconds: 3,
    });
    expect(h.storage.callsOf('deleteImage')).toBe(0);

    const down = setup({ policy: { canDelete: () => errAsync(storageUnavailable(undefined, 9)) } });
    const other = down.seed();
    expect((await down.execute(other.id, projectMember('p1')))._unsafeUnwrapErr()).toMatchObject({
      kind: 'StorageUnavailable',
      retryAfterSeconds: 9,
    });
    expect(down.storage.callsOf('deleteImage')).toBe(0);
  });
});

describe('DeleteImage: defects are StorageFault, never a throw', () => {
  it('a decide that throws (a synchronous policy with a bug) is StorageFault, and nothing is written', async () => {
    const h = setup({
      policy: {
        canDelete: () => okAsync(true),
        canDeleteSync: () => {
          throw new Error('policy bug');
        },
      },
    });
    const { id } = h.seed();
    const before = await h.snapshot(id);
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrapErr()).toMatchObject({
      kind: 'StorageFault',
      message: storageFault().message,
    });
    expect(await h.snapshot(id)).toEqual(before);
  });

  const defects: readonly (readonly [string, ImageRepository['deleteImage']])[] = [
    [
      'throws',
      () => {
        throw new Error('repository defect');
      },
    ],
    ['rejects', () => new ResultAsync(Promise.reject(new Error('repository defect')))],
  ];

  it.each(defects)('a repository that %s is StorageFault, logged as an error', async (_how, deleteImage) => {
    const { logger, entries } = recordingLogger();
    const h = setup({ logger, repository: (storage) => ({ ...storage.images, deleteImage }) });
    const { id } = h.seed();
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrapErr().kind).toBe('StorageFault');
    expect(entries).toMatchObject([{ level: 'error', msg: 'DeleteImage: unexpected exception' }]);
  });
});

describe('DeleteImage: what a delete does', () => {
  it('in immediate mode deletes the data inline; the event id and job ids come from the injected sources', async () => {
    let jobs = 0;
    const h = setup({ newEventId: () => 'event-1', newJobId: () => `job-${++jobs}` });
    const { id, urls } = h.seed({}, 2);
    const deleted = (await h.execute(id, projectMember('p1')))._unsafeUnwrap();

    expect(deleted).toEqual({
      imageId: id,
      status: 'deleted',
      deletedAt: h.clock.now(),
      eventId: 'event-1',
      dataDeletionJobs: 2,
      inlineDataDeletion: expect.objectContaining({ done: 2, retry: 0, dead: 0, abandoned: 0 }),
    });
    expect(urls.filter((url) => h.data.has(url))).toEqual([]);
    expect((await h.storage.jobs.listJobs({ imageId: id }))._unsafeUnwrap().map((j) => [j.id, j.state])).toEqual([
      ['job-1', 'done'],
      ['job-2', 'done'],
    ]);
    const events = (await h.storage.outbox.listEvents({}))._unsafeUnwrap();
    expect(events).toMatchObject([{ id: 'event-1', type: 'image.delete', imageId: id, payload: { id, status: 'deleted', deleted: true } }]);
    expect((await h.storage.images.findById(id))._unsafeUnwrap()).toMatchObject({
      status: 'deleted',
      deleted: true,
      deletedAt: h.clock.now(),
    });
  });

  it('uses random UUIDs for the event and the jobs by default', async () => {
    const h = setup({ inline: false });
    const { id } = h.seed({}, 2);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrap().eventId).toMatch(uuid);
    const ids = (await h.storage.jobs.listJobs({ imageId: id }))._unsafeUnwrap().map((j) => j.id);
    expect(ids).toEqual([expect.stringMatching(uuid), expect.stringMatching(uuid)]);
    expect(new Set(ids).size).toBe(2);
  });

  it('without inline data deletion leaves the jobs queued for the scrubber, due after the inline lease', async () => {
    for (const [options, leaseSeconds] of [
      [{}, 60],
      [{ inlineLeaseSeconds: 5 }, 5],
    ] as const) {
      const h = setup({ inline: false, ...options });
      const { id, urls } = h.seed();
      expect((await h.execute(id, projectMember('p1')))._unsafeUnwrap()).toMatchObject({
        status: 'deleted',
        dataDeletionJobs: 1,
        inlineDataDeletion: null,
      });
      expect(h.data.urls()).toEqual(urls);
      const [job] = (await h.storage.jobs.listJobs({ imageId: id }))._unsafeUnwrap();
      expect(job).toMatchObject({ state: 'queued', attempts: 0, availableAt: new Date(h.clock.now().getTime() + leaseSeconds * 1000) });
    }
  });

  it('with awaitDataDeletion: false answers right after the commit; the data is deleted after', async () => {
    const h = setup({ awaitDataDeletion: false });
    const { id, urls } = h.seed();
    const hang = h.data.hang();
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrap()).toMatchObject({ status: 'deleted', inlineDataDeletion: null });
    await hang.reached();
    expect(h.data.urls()).toEqual(urls);
    hang.release();
    await vi.waitFor(async () => expect((await h.storage.jobs.listJobs({ imageId: id }))._unsafeUnwrap()[0]?.state).toBe('done'));
    expect(h.data.urls()).toEqual([]);
  });

  it('deletes an image without data: no jobs, nothing inline, still one event', async () => {
    const h = setup();
    const { id } = h.seed({ status: 'queued' }, 0);
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrap()).toMatchObject({
      status: 'deleted',
      dataDeletionJobs: 0,
      inlineDataDeletion: null,
    });
    expect((await h.storage.outbox.listEvents({ imageId: id }))._unsafeUnwrap()).toHaveLength(1);
  });

  it('in delayed mode moves an image with data to pending_delete, its jobs due after the delay, nothing deleted inline', async () => {
    const h = setup({ delayedDelete: { delaySeconds: 3600 } });
    const { id, urls } = h.seed({}, 2);
    expect((await h.execute(id, projectMember('p1')))._unsafeUnwrap()).toMatchObject({
      status: 'pending_delete',
      dataDeletionJobs: 2,
      inlineDataDeletion: null,
    });
    expect(urls.every((url) => h.data.has(url))).toBe(true);
    const jobs = (await h.storage.jobs.listJobs({ imageId: id }))._unsafeUnwrap();
    expect(jobs.map((j) => [j.state, j.availableAt])).toEqual([
      ['queued', new Date(h.clock.now().getTime() + 3_600_000)],
      ['queued', new Date(h.clock.now().getTime() + 3_600_000)],
    ]);
    expect((await h.storage.images.findById(id))._unsafeUnwrap()).toMatchObject({ status: 'pending_delete', deleted: true });

    const empty = h.seed({ status: 'queued' }, 0);
    expect((await h.execute(empty.id, projectMember('p1')))._unsafeUnwrap().status).toBe('deleted');
  });

  it.each([-1, Number.NaN, Infinity])('refuses a delay of %d seconds', (delaySeconds) => {
    expect(() => setup({ delayedDelete: { delaySeconds } })).toThrow(RangeError);
  });
});
