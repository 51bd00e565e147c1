// The DeleteImage use case run over an adapter: behaviour.md §2–§5 and §8: checks, messages, matrix, faults, races and data deletion.
import {
  DELETABLE_STATUSES,
  DeleteImage,
  defaultDeletePolicy,
  imageNotFound,
  invalidImageId,
  silentLogger,
  storageFault,
  storageUnavailable,
  uuidImageIdFormat,
  type DeleteImageFailure,
  type DeleteImageOptions,
  type DeletePolicy,
  type Image,
  type ImageRepository,
  type Principal,
  type StorageError,
} from '@image-catalog/core';
import { DataDeletionWorker } from '@image-catalog/core/workers';
import { type NewImage } from '@image-catalog/core/authoring';
import { describe, expect, it } from 'vitest';
import { expectErr, expectOk } from './expect-result.js';
import { failingImageRepository, type RepositoryFailure } from './fixtures/failing-image-repository.js';
import { emptyImageFixture, FIXTURE_OWNER, fixtureLocations } from './fixtures/image-fixture.js';
import { adminPrincipal, projectMember, projectObserver, projectReader } from './fixtures/principals.js';
import { RecordingImageDataStore } from './fixtures/recording-image-data-store.js';
import { fixedClock, secondsAfter, TEST_EPOCH } from './fixtures/test-clock.js';
import { createFixtureImage, findImage, imageSnapshot } from './harness-helpers.js';
import type { StorageHarnessFactory } from './storage-harness.js';
import { useHarness } from './use-harness.js';

/** When the use case deletes (its clock); fixtures are created earlier. */
const NOW = secondsAfter(TEST_EPOCH, 60);
const OWNER = FIXTURE_OWNER;
const OTHER = 'project-other';

export const DELETE_FORBIDDEN_MESSAGE = 'You are not authorized to complete delete_image action.';
export const imageProtectedMessage = (imageId: string) => `Image ${imageId} is protected and cannot be deleted.`;

const VALID_ID = '6f1c6e3a-2b1d-4c5e-9f00-abcdef012345';

/** Ids a client can put in a path that are not canonical UUIDs: each must be refused with 400 before storage is touched. */
export const HOSTILE_IMAGE_IDS: readonly (readonly [label: string, id: string])[] = [
  ['empty', ''],
  ['300 characters', 'a'.repeat(300)],
  ['256 hex digits', 'f'.repeat(256)],
  ['NUL inside', `${VALID_ID.slice(0, 18)}\u0000${VALID_ID.slice(19)}`],
  ['trailing newline', `${VALID_ID}\n`],
  ['leading tab', `\t${VALID_ID}`],
  ['surrounding spaces', ` ${VALID_ID} `],
  ['DEL character', `${VALID_ID.slice(0, 35)}\u007f`],
  ['full-width digit', `６${VALID_ID.slice(1)}`],
  ['unicode hyphen', VALID_ID.replace('-', '\u2010')],
  ['right-to-left override', `\u202e${VALID_ID}`],
  ['emoji', '\u{1F5BC}'.repeat(18)],
  ['path traversal', '../../etc/passwd'],
  ['traversal before a uuid', `../${VALID_ID}`],
  ['slash after a uuid', `${VALID_ID}/`],
  ['percent-encoded slashes', `..%2F..%2F${VALID_ID}`],
  ['percent-encoded dashes', VALID_ID.replace(/-/g, '%2D')],
  ['invalid percent-encoding', '%E0%A4%A'],
  ['no dashes', VALID_ID.replace(/-/g, '')],
  ['braces', `{${VALID_ID}}`],
  ['urn', `urn:uuid:${VALID_ID}`],
  ['non-hex digit', `${VALID_ID.slice(0, 35)}g`],
  ['SQL', "' OR 1=1; DROP TABLE images; --"],
  ['not a string', 42 as unknown as string],
];

type Expected = 'ok' | DeleteImageFailure['kind'];

type VisibilityCase = 'private' | 'shared (member)' | 'shared (non-member)' | 'public' | 'community';

const VISIBILITY_CASES: Record<VisibilityCase, Pick<NewImage, 'visibility' | 'members'>> = {
  private: { visibility: 'private', members: [] },
  'shared (member)': { visibility: 'shared', members: [{ memberId: OTHER }] },
  'shared (non-member)': { visibility: 'shared', members: [{ memberId: 'project-third' }] },
  public: { visibility: 'public', members: [] },
  community: { visibility: 'community', members: [] },
};

type PrincipalCase = 'owner member' | 'owner reader' | 'owner observer' | 'other project member' | 'other project reader' | 'project-less member' | 'admin';

const PRINCIPALS: Record<PrincipalCase, () => Principal> = {
  'owner member': () => projectMember(OWNER),
  'owner reader': () => projectReader(OWNER),
  'owner observer': () => projectObserver(OWNER),
  'other project member': () => projectMember(OTHER),
  'other project reader': () => projectReader(OTHER),
  'project-less member': () => projectMember(null),
  admin: () => adminPrincipal(),
};

/** Expected outcome per visibility for a principal outside the owning project: 404 where invisible, else 403. */
const OUTSIDER: Record<VisibilityCase, Expected> = {
  private: 'ImageNotFound',
  'shared (member)': 'DeleteForbidden',
  'shared (non-member)': 'ImageNotFound',
  public: 'DeleteForbidden',
  community: 'DeleteForbidden',
};

const EXPECTED_FOR_OWNED: Record<Exclude<PrincipalCase, 'other project reader' | 'project-less member'>, Record<VisibilityCase, Expected>> = {
  'owner member': { private: 'ok', 'shared (member)': 'ok', 'shared (non-member)': 'ok', public: 'ok', community: 'ok' },
  'owner reader': { private: 'DeleteForbidden', 'shared (member)': 'DeleteForbidden', 'shared (non-member)': 'DeleteForbidden', public: 'DeleteForbidden', community: 'DeleteForbidden' },
  'owner observer': { private: 'DeleteForbidden', 'shared (member)': 'DeleteForbidden', 'shared (non-member)': 'DeleteForbidden', public: 'DeleteForbidden', community: 'DeleteForbidden' },
  'other project member': OUTSIDER,
  admin: { private: 'ok', 'shared (member)': 'ok', 'shared (non-member)': 'ok', public: 'ok', community: 'ok' },
};

/** Without an owner nobody is "the owning project": only an admin may delete; others see 404 or 403 by visibility. */
const EXPECTED_FOR_OWNERLESS: Record<'other project member' | 'other project reader' | 'project-less member' | 'admin', Record<VisibilityCase, Expected>> = {
  'other project member': OUTSIDER,
  'other project reader': OUTSIDER,
  'project-less member': { ...OUTSIDER, 'shared (member)': 'ImageNotFound' },
  admin: { private: 'ok', 'shared (member)': 'ok', 'shared (non-member)': 'ok', public: 'ok', community: 'ok' },
};

interface MatrixCell {
  readonly visibility: VisibilityCase;
  readonly principal: PrincipalCase;
  readonly expected: Expected;
}

function cells<P extends PrincipalCase>(table: Record<P, Record<VisibilityCase, Expected>>): MatrixCell[] {
  return (Object.entries(table) as [P, Record<VisibilityCase, Expected>][]).flatMap(([principal, row]) =>
    (Object.entries(row) as [VisibilityCase, Expected][]).map(([visibility, expected]) => ({ visibility, principal, expected })),
  );
}

const STORAGE_ERRORS: readonly (readonly [StorageError['kind'], StorageError])[] = [
  ['StorageUnavailable', storageUnavailable(undefined, 7)],
  ['StorageFault', storageFault()],
];

interface UseCaseOptions extends DeleteImageOptions {
  /** Runs data deletion inline through this store (immediate mode). */
  readonly dataStore?: RecordingImageDataStore;
  /** Replaces the harness's repository, e.g. with a failing proxy. */
  readonly repository?: ImageRepository;
  /** Replaces the mode's policy. */
  readonly policy?: DeletePolicy;
}

/** One way of wiring the policy, and so one of the use case's two paths. */
export interface DeletePolicyMode {
  readonly label: string;
  readonly policy: DeletePolicy;
  /** `true` when the use case reads the image (`findById`) before the delete: no `canDeleteSync`. */
  readonly readsFirst: boolean;
}

/**
 * The behaviour suite runs once per mode: the default policy (it has `canDeleteSync`, so the whole
 * decision is made on the image as read inside the adapter's delete transaction) and an async-only
 * policy with the same rule (no `canDeleteSync`: asked after a `findById`, its verdict pinned to
 * the owner it saw).
 */
export const DELETE_POLICY_MODES: readonly DeletePolicyMode[] = [
  { label: 'default policy, decided inside the transaction', policy: defaultDeletePolicy, readsFirst: false },
  {
    label: 'async-only policy, findById first',
    policy: { canDelete: (principal, image) => defaultDeletePolicy.canDelete(principal, image) },
    readsFirst: true,
  },
];

/**
 * Registers the DeleteImage behaviour suite: the use case with a fixed clock and the adapter's
 * repository must answer exactly as behaviour.md §2–§4 says, once per policy mode (both of its paths).
 */
export function describeDeleteImageBehaviour(name: string, factory: StorageHarnessFactory, modes: readonly DeletePolicyMode[] = DELETE_POLICY_MODES): void {
  for (const mode of modes) describeBehaviourWith(name, factory, mode);
}

function describeBehaviourWith(name: string, factory: StorageHarnessFactory, mode: DeletePolicyMode): void {
  describe(`${name}: DeleteImage behaviour (${mode.label})`, () => {
    const h = useHarness(factory);
    const clock = fixedClock(NOW);

    function deleteImage(options: UseCaseOptions = {}): DeleteImage {
      const { dataStore, repository, policy, ...useCaseOptions } = options;
      const worker = dataStore ? new DataDeletionWorker(dataStore, h().jobs, clock, silentLogger, { backoff: { random: () => 0 } }) : null;
      return new DeleteImage(repository ?? h().images, policy ?? mode.policy, clock, worker, silentLogger, useCaseOptions);
    }

    const execute = (imageId: string, principal: Principal, options: UseCaseOptions = {}) => deleteImage(options).execute({ imageId, principal });

    /** Runs the delete expecting `kind`, and proves the image and its jobs and events did not change. */
    async function expectRefused(image: Image, principal: Principal, kind: DeleteImageFailure['kind'], options: UseCaseOptions = {}): Promise<DeleteImageFailure> {
      const before = await imageSnapshot(h(), image.id);
      const error = await expectErr(execute(image.id, principal, options));
      expect(error.kind).toBe(kind);
      expect(await imageSnapshot(h(), image.id)).toEqual(before);
      return error;
    }

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

    describe('3-4. policy and protection', () => {
      it('answers DeleteForbidden with Glance\'s message to a reader of the owning project', async () => {
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

      it('treats a shared image\'s member project as able to see it whatever its member status', async () => {
        const image = await createFixtureImage(h(), { visibility: 'shared', members: [{ memberId: OTHER, status: 'rejected' }] });
        await expectRefused(image, projectMember(OTHER), 'DeleteForbidden');
      });
    });

    describe('visibility × policy matrix (owned image)', () => {
      it.each(cells(EXPECTED_FOR_OWNED))('$visibility image, $principal → $expected', async ({ visibility, principal, expected }) => {
        const image = await createFixtureImage(h(), VISIBILITY_CASES[visibility]);
        if (expected === 'ok') {
          expect((await expectOk(execute(image.id, PRINCIPALS[principal]()))).status).toBe('deleted');
          expect(await findImage(h(), image.id)).toMatchObject({ status: 'deleted', deleted: true });
        } else {
          await expectRefused(image, PRINCIPALS[principal](), expected);
        }
      });
    });

    describe('visibility × policy matrix (image without owner)', () => {
      it.each(cells(EXPECTED_FOR_OWNERLESS))('$visibility image, $principal → $expected', async ({ visibility, principal, expected }) => {
        const image = await createFixtureImage(h(), { owner: null, ...VISIBILITY_CASES[visibility] });
        if (expected === 'ok') {
          expect((await expectOk(execute(image.id, PRINCIPALS[principal]()))).status).toBe('deleted');
        } else {
          await expectRefused(image, PRINCIPALS[principal](), expected);
        }
      });
    });

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

    describe('5. storage faults', () => {
      /** The repository methods the use case calls on this path. */
      const CALLED: readonly ('findById' | 'deleteImage')[] = mode.readsFirst ? ['findById', 'deleteImage'] : ['deleteImage'];

      it.each(
        CALLED.flatMap((method) => STORAGE_ERRORS.map(([kind, error]) => [method, kind, error] as const)),
      )('%s answering %s is passed through unchanged, never thrown', async (method, kind, error) => {
        const image = await createFixtureImage(h());
        const failing = failingImageRepository(h().images, method === 'findById' ? { findById: error } : { deleteImage: error });
        const result = await execute(image.id, projectMember(OWNER), { repository: failing });
        expect(result.isErr() && result.error).toMatchObject({ kind, message: error.message });
        if (kind === 'StorageUnavailable') expect(result.isErr() && result.error).toMatchObject({ retryAfterSeconds: 7 });
        expect(await imageSnapshot(h(), image.id)).toEqual({ image, jobs: [], events: [] });
      });

      it.each(
        CALLED.flatMap((method) => (['throw', 'reject'] as const).map((how) => [method, how] as const)),
      )('a repository whose %s does %s gives StorageFault, never a rejection', async (method, how: RepositoryFailure) => {
        const image = await createFixtureImage(h());
        const broken = failingImageRepository(h().images, method === 'findById' ? { findById: how } : { deleteImage: how });
        await expect(execute(image.id, projectMember(OWNER), { repository: broken })).resolves.toSatisfy(
          (r: Awaited<ReturnType<typeof execute>>) => r.isErr() && r.error.kind === 'StorageFault',
        );
      });

      it.for(STORAGE_ERRORS)('the adapter failing mid-delete with %s answers it and leaves the image as it was', async ([kind, error], { skip }) => {
        if (h().injectFault === undefined) skip('the harness has no injectFault hook');
        const id = globalThis.crypto.randomUUID();
        const image = await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
        await h().injectFault!({ method: 'deleteImage', error, midTransaction: true });
        expect((await expectErr(execute(id, projectMember(OWNER)))).kind).toBe(kind);
        expect(await imageSnapshot(h(), id)).toEqual({ image, jobs: [], events: [] });
        expect((await expectOk(execute(id, projectMember(OWNER)))).dataDeletionJobs).toBe(2);
      });

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

    describe('concurrency', () => {
      it('of 20 concurrent deletes of one image exactly one succeeds; the rest get ImageNotFound', async () => {
        const id = globalThis.crypto.randomUUID();
        await createFixtureImage(h(), { id, locations: fixtureLocations(id, 2) });
        const useCase = deleteImage();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => useCase.execute({ imageId: id, principal: i % 2 === 0 ? projectMember(OWNER) : adminPrincipal() })),
        );
        expect(results.filter((r) => r.isOk())).toHaveLength(1);
        expect(results.filter((r) => r.isErr() && r.error.kind === 'ImageNotFound')).toHaveLength(19);
        const after = await imageSnapshot(h(), id);
        expect(after.events).toHaveLength(1);
        expect(after.jobs).toHaveLength(2);
      });

      it.each([0, 1, 2, 3, 4, 5, 6, 8, 12])(
        'a delete racing "protected = true" (protect after %i ticks) either deleted an unprotected image or failed with ImageProtected',
        async (ticks) => {
          const image = await createFixtureImage(h());
          const protect = (async () => {
            for (let i = 0; i < ticks; i++) await Promise.resolve();
            return expectOk(h().catalog.updateImage(image.id, { protected: true }, NOW));
          })();
          const [result, update] = await Promise.all([execute(image.id, projectMember(OWNER)), protect]);
          const after = await imageSnapshot(h(), image.id);
          if (result.isOk()) {
            expect(update).toBeNull();
            expect(after.image).toMatchObject({ status: 'deleted', deleted: true, protected: false });
            expect(after.events).toHaveLength(1);
          } else {
            expect(result.error.kind).toBe('ImageProtected');
            expect(update).not.toBeNull();
            expect(after).toEqual({ image: { ...image, protected: true, updatedAt: NOW }, jobs: [], events: [] });
          }
        },
      );
    });

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
  });
}
