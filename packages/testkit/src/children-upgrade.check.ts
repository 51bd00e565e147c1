// What a store must read after the migration that moved children "through their image" (SQLite 3, PostgreSQL 3, MariaDB 2): the same check for every adapter.
import { expect } from 'vitest';
import type { DataDeletionJobQueue, ImageRepository } from '@image-catalog/core';

/**
 * For a store just upgraded from a schema whose deletes soft-deleted children, seeded as the old
 * version left it: images `live`, `gone` (`deleted`) and `pending` (`pending_delete`, with a
 * queued job), each with tag `tag`, property `k`=`v`, member `m` (`accepted`, created and updated
 * at `memberTime`) and location `l` (`memory://x`), the deleted ones deleted at `deletedAt`.
 * Each reads back with the children it had (a deleted image's location as the delete left it),
 * `pending` restores with them, and a purge then removes `gone`'s four child rows and nothing of `live`.
 */
export async function expectChildrenReadThroughTheirImage(
  store: { readonly images: ImageRepository; readonly jobs: DataDeletionJobQueue },
  times: { readonly deletedAt: Date; readonly memberTime: Date },
): Promise<void> {
  const read = async (id: string) => (await store.images.findById(id))._unsafeUnwrap()!;
  const children = {
    tags: ['tag'],
    properties: { k: 'v' },
    members: [{ memberId: 'm', status: 'accepted', createdAt: times.memberTime, updatedAt: times.memberTime }],
  };
  expect(await read('gone')).toMatchObject({
    ...children,
    status: 'deleted',
    locations: [{ id: 'l', url: 'memory://x', metadata: {}, status: 'deleted' }],
  });
  expect(await read('pending')).toMatchObject({
    ...children,
    status: 'pending_delete',
    locations: [{ id: 'l', status: 'pending_delete' }],
  });
  expect((await store.images.restoreImage('pending', new Date(times.deletedAt.getTime() + 1)))._unsafeUnwrap()).toMatchObject({
    kind: 'Restored',
    image: { ...children, status: 'active', deleted: false, locations: [{ id: 'l', status: 'active' }] },
  });
  expect((await store.jobs.purgeDeletedChildren({ olderThan: times.deletedAt, limit: 100 }))._unsafeUnwrap()).toBe(4);
  expect(await read('gone')).toMatchObject({ tags: [], properties: {}, members: [], locations: [] });
  expect(await read('live')).toMatchObject({ ...children, locations: [{ id: 'l', status: 'active' }] });
}
