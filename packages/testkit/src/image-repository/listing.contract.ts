// The repository contract's listing part: listImages pages by who may see each image, oldest first, bounded by limit, after a marker.
import { isImageVisibleTo, type Image, type Principal } from '@image-catalog/core';
import { DEFAULT_LIST_LIMIT, type ImageListQuery } from '@image-catalog/core/authoring';
import { describe, expect, it } from 'vitest';
import { T0, T1 } from '../contract-times.js';
import { expectErr, expectOk } from '../expect-result.js';
import { adminPrincipal, projectMember } from '../fixtures/principals.js';
import { secondsAfter } from '../fixtures/test-clock.js';
import { createFixtureImage, deleteThroughRepository } from '../harness-helpers.js';
import type { StorageHarness, StorageHarnessFactory } from '../storage-harness.js';
import { describeImageRepositoryParts, type ImageRepositoryPart } from './image-repository-suite.js';

/**
 * `listImages({ visibleTo, limit, marker })`: the adapter filters by the rules of
 * `isImageVisibleTo`, lists oldest first (`createdAt`, then creation order), returns at most
 * `limit` (25 when absent) and continues after `marker`, which must be a live image the caller
 * may see (`UnknownMarker` otherwise).
 */
export const listingPart: ImageRepositoryPart = (h) => {
  describe('listing pages', () => {
    visibility(h);
    order(h);
    limits(h);
    markers(h);
    sources(h);
  });
};

/** Runs only the listing part of the ImageRepository & ImageCatalog contract. */
export function describeImageRepositoryListing(name: string, factory: StorageHarnessFactory): void {
  describeImageRepositoryParts(name, factory, [listingPart]);
}

const ids = (images: readonly Pick<Image, 'id'>[]) => images.map((i) => i.id);

async function listIds(h: StorageHarness, query: ImageListQuery): Promise<string[]> {
  return ids(await expectOk(h.catalog.listImages(query)));
}

/** Every page from the start, following the last id of each full page; fails when it does not end. */
async function allPages(h: StorageHarness, query: ImageListQuery & { readonly limit: number }): Promise<string[][]> {
  const pages: string[][] = [];
  let marker: string | undefined;
  for (let guard = 0; guard < 100; guard += 1) {
    const page = await listIds(h, { ...query, ...(marker === undefined ? {} : { marker }) });
    pages.push(page);
    if (page.length < query.limit) return pages;
    marker = page.at(-1);
  }
  return expect.fail('paging did not end after 100 pages');
}

/**
 * Images of projects p1 and p3 and one without owner, in every visibility; p2 is a member of p1's
 * shared image (pending, which still shows it). One deleted and one pending_delete image are never listed.
 */
async function seedVisibilityMix(h: StorageHarness): Promise<Record<string, Image>> {
  let second = 0;
  const at = () => secondsAfter(T0, (second += 1));
  const seeded: Record<string, Image> = {
    p1Private: await createFixtureImage(h, { owner: 'p1', visibility: 'private' }, at()),
    p1Shared: await createFixtureImage(h, { owner: 'p1', visibility: 'shared', members: [{ memberId: 'p2' }] }, at()),
    p1Public: await createFixtureImage(h, { owner: 'p1', visibility: 'public' }, at()),
    p1Community: await createFixtureImage(h, { owner: 'p1', visibility: 'community' }, at()),
    p3Private: await createFixtureImage(h, { owner: 'p3', visibility: 'private' }, at()),
    p3Shared: await createFixtureImage(h, { owner: 'p3', visibility: 'shared' }, at()),
    ownerlessPublic: await createFixtureImage(h, { owner: null, visibility: 'public' }, at()),
    ownerlessPrivate: await createFixtureImage(h, { owner: null, visibility: 'private' }, at()),
  };
  // p3 shares its image with p4 after creating it: a member added later counts as well.
  await expectOk(h.catalog.addMember(seeded.p3Shared!.id, 'p4', T1));
  const gone = await createFixtureImage(h, { owner: 'p1', visibility: 'public' }, at());
  const going = await createFixtureImage(h, { owner: 'p2', visibility: 'public' }, at());
  await deleteThroughRepository(h, gone, T1);
  await deleteThroughRepository(h, going, T1, { delayed: true });
  return seeded;
}

function visibility(h: () => StorageHarness): void {
  it('lists exactly what each kind of principal may see: admin, owner, member of a shared image, stranger, project-less', async () => {
    const s = await seedVisibilityMix(h());
    const all = ids(Object.values(s));
    const expected: [string, Principal, (keyof typeof s)[]][] = [
      ['admin', adminPrincipal('p9'), Object.keys(s)],
      ['project-less admin', adminPrincipal(null), Object.keys(s)],
      ['owner p1', projectMember('p1'), ['p1Private', 'p1Shared', 'p1Public', 'p1Community', 'ownerlessPublic']],
      ['member p2', projectMember('p2'), ['p1Shared', 'p1Public', 'p1Community', 'ownerlessPublic']],
      ['owner p3', projectMember('p3'), ['p1Public', 'p1Community', 'p3Private', 'p3Shared', 'ownerlessPublic']],
      ['member p4 (added later)', projectMember('p4'), ['p1Public', 'p1Community', 'p3Shared', 'ownerlessPublic']],
      ['stranger p5', projectMember('p5'), ['p1Public', 'p1Community', 'ownerlessPublic']],
      ['project-less', projectMember(null), ['p1Public', 'p1Community', 'ownerlessPublic']],
    ];
    for (const [who, principal, keys] of expected) {
      const listed = await expectOk(h().catalog.listImages({ visibleTo: principal, limit: 1000 }));
      expect(ids(listed), who).toEqual(all.filter((id) => keys.some((k) => s[k]!.id === id)));
      // The same answer as core's rule, image by image.
      expect(
        listed.every((image) => isImageVisibleTo(image, principal)),
        who,
      ).toBe(true);
    }
    expect(await listIds(h(), { limit: 1000 })).toEqual(all);
  });

  it('the name filter and visibility apply together', async () => {
    await createFixtureImage(h(), { owner: 'p1', visibility: 'private', name: 'same' }, T0);
    const shown = await createFixtureImage(h(), { owner: 'p3', visibility: 'public', name: 'same' }, secondsAfter(T0, 1));
    await createFixtureImage(h(), { owner: 'p3', visibility: 'public', name: 'other' }, secondsAfter(T0, 2));
    expect(await listIds(h(), { visibleTo: projectMember('p3'), name: 'same' })).toEqual([shown.id]);
  });
}

function order(h: () => StorageHarness): void {
  it('lists oldest first by createdAt, then in creation order for equal times, whatever order they were created in', async () => {
    const late = await createFixtureImage(h(), { visibility: 'public' }, secondsAfter(T0, 5));
    const tieA = await createFixtureImage(h(), { visibility: 'public' }, secondsAfter(T0, 2));
    const early = await createFixtureImage(h(), { visibility: 'public' }, T0);
    const tieB = await createFixtureImage(h(), { visibility: 'public' }, secondsAfter(T0, 2));
    const tieC = await createFixtureImage(h(), { visibility: 'public' }, secondsAfter(T0, 2));
    const expected = ids([early, tieA, tieB, tieC, late]);
    expect(await listIds(h(), {})).toEqual(expected);
    expect(await listIds(h(), { visibleTo: projectMember('stranger') })).toEqual(expected);
  });
}

function limits(h: () => StorageHarness): void {
  it(`returns at most limit images, ${DEFAULT_LIST_LIMIT} when no limit is given, none for 0`, async () => {
    const created: Image[] = [];
    for (let i = 0; i < DEFAULT_LIST_LIMIT + 3; i += 1)
      created.push(await createFixtureImage(h(), { visibility: 'public' }, secondsAfter(T0, i)));
    expect(await listIds(h(), {})).toEqual(ids(created.slice(0, DEFAULT_LIST_LIMIT)));
    expect(await listIds(h(), { visibleTo: projectMember('p5') })).toEqual(ids(created.slice(0, DEFAULT_LIST_LIMIT)));
    expect(await listIds(h(), { limit: 4 })).toEqual(ids(created.slice(0, 4)));
    expect(await listIds(h(), { limit: 1000 })).toEqual(ids(created));
    expect(await listIds(h(), { limit: 0 })).toEqual([]);
  });
}

function markers(h: () => StorageHarness): void {
  it('pages after a marker cover every visible image exactly once, in order, across equal creation times', async () => {
    const created: Image[] = [];
    for (let i = 0; i < 11; i += 1) {
      // Pairs share a creation time, so page boundaries fall between equal times; every third image is p1's private one.
      const visibility = i % 3 === 0 ? 'private' : 'public';
      created.push(await createFixtureImage(h(), { owner: 'p1', visibility }, secondsAfter(T0, Math.floor(i / 2))));
    }
    const stranger = projectMember('p5');
    const visible = ids(created.filter((image) => isImageVisibleTo(image, stranger)));
    for (const limit of [1, 2, 3, 7]) {
      const pages = await allPages(h(), { visibleTo: stranger, limit });
      expect(pages.flat(), `limit ${limit}`).toEqual(visible);
      expect(pages.slice(0, -1).every((page) => page.length === limit)).toBe(true);
    }
    const everything = await allPages(h(), { visibleTo: adminPrincipal(), limit: 4 });
    expect(everything.flat()).toEqual(ids(created));
  });

  it('a marker continues the name-filtered listing after its own place, even when its name differs', async () => {
    const a = await createFixtureImage(h(), { visibility: 'public', name: 'x' }, T0);
    const marker = await createFixtureImage(h(), { visibility: 'public', name: 'y' }, secondsAfter(T0, 1));
    const c = await createFixtureImage(h(), { visibility: 'public', name: 'x' }, secondsAfter(T0, 2));
    expect(await listIds(h(), { name: 'x' })).toEqual([a.id, c.id]);
    expect(await listIds(h(), { name: 'x', marker: marker.id })).toEqual([c.id]);
    expect(await listIds(h(), { marker: c.id })).toEqual([]);
  });

  it('a marker that is no live image the caller may see is UnknownMarker: unknown, deleted, pending_delete, or hidden from the caller', async () => {
    const hidden = await createFixtureImage(h(), { owner: 'p1', visibility: 'private' }, T0);
    const deleted = await createFixtureImage(h(), { visibility: 'public' }, secondsAfter(T0, 1));
    const pending = await createFixtureImage(h(), { visibility: 'public' }, secondsAfter(T0, 2));
    await deleteThroughRepository(h(), deleted, T1);
    await deleteThroughRepository(h(), pending, T1, { delayed: true });
    const unknown = globalThis.crypto.randomUUID();
    const cases: [string, ImageListQuery][] = [
      [unknown, {}],
      [deleted.id, {}],
      [pending.id, { visibleTo: adminPrincipal() }],
      [hidden.id, { visibleTo: projectMember('p2') }],
      ['', {}],
    ];
    for (const [marker, query] of cases) {
      expect(await expectErr(h().catalog.listImages({ ...query, marker })), marker).toEqual({ kind: 'UnknownMarker', marker });
    }
    // The owner may page after its own private image.
    expect(await listIds(h(), { visibleTo: projectMember('p1'), marker: hidden.id })).toEqual([]);
  });
}

/**
 * An adapter may find what a project sees in several places (its own images, public, community,
 * shared with it) and merge them: the page must still be one listing, in order, each image once.
 */
function sources(h: () => StorageHarness): void {
  /** For p2, at equal or rising times: its own image, and one of each kind it may see from p1 and p3 — interleaved in creation order. */
  async function seedMixedSources(at: (i: number) => Date, names: (i: number) => string = () => 'n'): Promise<Image[]> {
    const kinds: Partial<Parameters<typeof createFixtureImage>[1]>[] = [
      { owner: 'p2', visibility: 'private' },
      { owner: 'p1', visibility: 'public' },
      { owner: 'p3', visibility: 'community' },
      { owner: 'p1', visibility: 'shared', members: [{ memberId: 'p2' }] },
      { owner: 'p2', visibility: 'public' },
      { owner: 'p3', visibility: 'shared', members: [{ memberId: 'p2' }, { memberId: 'p4' }] },
      { owner: 'p2', visibility: 'shared', members: [{ memberId: 'p2' }] },
      { owner: null, visibility: 'community' },
    ];
    const created: Image[] = [];
    for (let i = 0; i < 3 * kinds.length; i += 1) {
      created.push(await createFixtureImage(h(), { ...kinds[i % kinds.length], name: names(i) }, at(i)));
    }
    return created;
  }

  it('an image seen for several reasons (its owner, public, shared with its own project) is listed once', async () => {
    const own = {
      public: await createFixtureImage(h(), { owner: 'p1', visibility: 'public' }, T0),
      community: await createFixtureImage(h(), { owner: 'p1', visibility: 'community' }, secondsAfter(T0, 1)),
      shared: await createFixtureImage(h(), { owner: 'p1', visibility: 'shared', members: [{ memberId: 'p1' }] }, secondsAfter(T0, 2)),
    };
    const expected = ids([own.public, own.community, own.shared]);
    expect(await listIds(h(), { visibleTo: projectMember('p1') })).toEqual(expected);
    expect((await allPages(h(), { visibleTo: projectMember('p1'), limit: 1 })).flat()).toEqual(expected);
    expect(await listIds(h(), { visibleTo: projectMember('p9') })).toEqual(ids([own.public, own.community]));
  });

  it('a membership alone shows nothing: not the image made private, nor the deleted one', async () => {
    const madePrivate = await createFixtureImage(h(), { owner: 'p1', visibility: 'shared', members: [{ memberId: 'p2' }] }, T0);
    const deleted = await createFixtureImage(
      h(),
      { owner: 'p1', visibility: 'shared', members: [{ memberId: 'p2' }] },
      secondsAfter(T0, 1),
    );
    const pending = await createFixtureImage(
      h(),
      { owner: 'p1', visibility: 'shared', members: [{ memberId: 'p2' }] },
      secondsAfter(T0, 2),
    );
    const stillShared = await createFixtureImage(
      h(),
      { owner: 'p1', visibility: 'shared', members: [{ memberId: 'p2' }] },
      secondsAfter(T0, 3),
    );
    expect(await listIds(h(), { visibleTo: projectMember('p2') })).toEqual(ids([madePrivate, deleted, pending, stillShared]));
    await expectOk(h().catalog.updateImage(madePrivate.id, { visibility: 'private' }, T1));
    await deleteThroughRepository(h(), deleted, T1);
    await deleteThroughRepository(h(), pending, T1, { delayed: true });
    expect(await listIds(h(), { visibleTo: projectMember('p2') })).toEqual([stillShared.id]);
    expect(await listIds(h(), { visibleTo: projectMember('p1') })).toEqual(ids([madePrivate, stillShared]));
  });

  it('pages continue from a marker of any source into the others, in order, with equal creation times ordered by creation', async () => {
    // Three images per second: a page boundary falls inside a second and between sources.
    const created = await seedMixedSources((i) => secondsAfter(T0, Math.floor(i / 3)));
    for (const [project, principal] of [
      ['p2', projectMember('p2')],
      ['p4', projectMember('p4')],
      ['project-less', projectMember(null)],
    ] as const) {
      const visible = ids(created.filter((image) => isImageVisibleTo(image, principal)));
      expect(await listIds(h(), { visibleTo: principal, limit: 1000 }), project).toEqual(visible);
      for (const limit of [1, 2, 5]) {
        expect((await allPages(h(), { visibleTo: principal, limit })).flat(), `${project}, limit ${limit}`).toEqual(visible);
      }
      // Any visible image is a marker: the rest of the listing follows it.
      for (const [at, marker] of visible.entries()) {
        expect(await listIds(h(), { visibleTo: principal, marker, limit: 1000 }), `${project} after ${at}`).toEqual(visible.slice(at + 1));
      }
    }
  });

  it('all at one creation time: the listing is creation order across sources', async () => {
    const created = await seedMixedSources(() => T0);
    const principal = projectMember('p2');
    const visible = ids(created.filter((image) => isImageVisibleTo(image, principal)));
    expect(await listIds(h(), { visibleTo: principal, limit: 1000 })).toEqual(visible);
    expect((await allPages(h(), { visibleTo: principal, limit: 3 })).flat()).toEqual(visible);
  });

  it('the name filter holds in every source, and a marker of another name continues after its own place', async () => {
    const created = await seedMixedSources(
      (i) => secondsAfter(T0, i),
      (i) => (i % 3 === 0 ? 'other' : 'wanted'),
    );
    const principal = projectMember('p2');
    const visible = created.filter((image) => isImageVisibleTo(image, principal));
    const wanted = ids(visible.filter((image) => image.name === 'wanted'));
    expect(await listIds(h(), { visibleTo: principal, name: 'wanted', limit: 1000 })).toEqual(wanted);
    expect((await allPages(h(), { visibleTo: principal, name: 'wanted', limit: 2 })).flat()).toEqual(wanted);
    for (const [at, marker] of visible.entries()) {
      const after = ids(visible.slice(at + 1).filter((image) => image.name === 'wanted'));
      expect(await listIds(h(), { visibleTo: principal, name: 'wanted', marker: marker.id, limit: 1000 }), `after ${at}`).toEqual(after);
    }
  });
}
