// checkedImageCatalog: what it refuses never reaches the store; what passes reaches it as given, with the page size settled.
import { okAsync, type ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../image/image-listing.js';
import type { UncheckedImageCatalog } from '../ports/unchecked-image-catalog.port.js';
import { checkedImageCatalog } from './checked-image-catalog.js';

const ID = '6f1c6e3a-2b1d-4c5e-9f00-abcdef012345';
const NOW = new Date('2024-01-01T00:00:00Z');

/** The field of the `InvalidImageInput` a call answered. */
async function field(result: ResultAsync<unknown, { readonly kind: string }>): Promise<string> {
  const error = (await result)._unsafeUnwrapErr();
  return 'field' in error ? String(error.field) : error.kind;
}

/** A store that records every call it gets and answers as if it had stored nothing. */
function recordingStore(): { store: UncheckedImageCatalog; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const record =
    (method: string) =>
    (...args: unknown[]) => {
      calls.push([method, ...args]);
      return okAsync(null as never);
    };
  const store: UncheckedImageCatalog = {
    createImage: record('createImage'),
    listImages: record('listImages'),
    updateImage: record('updateImage'),
    addMember: record('addMember'),
    attachImageData: record('attachImageData'),
  };
  return { store, calls };
}

describe('checkedImageCatalog', () => {
  it('passes input that core accepts to the store unchanged', async () => {
    const { store, calls } = recordingStore();
    const catalog = checkedImageCatalog(store);
    const image = { id: ID, owner: 'p1', name: 'n' };
    const data = { url: 'fixture://x', size: 1, checksum: 'c', osHashAlgo: 'sha512', osHashValue: 'h' };
    await catalog.createImage(image, NOW);
    await catalog.updateImage(ID, { protected: true, status: 'active' }, NOW);
    await catalog.addMember(ID, 'p2', NOW);
    await catalog.attachImageData(ID, data, NOW);
    expect(calls).toEqual([
      ['createImage', image, NOW],
      ['updateImage', ID, { protected: true, status: 'active' }, NOW],
      ['addMember', ID, 'p2', NOW],
      ['attachImageData', ID, data, NOW],
    ]);
    expect(calls[0]?.[1]).toBe(image);
  });

  it('settles the page size with listLimit before the store sees it', async () => {
    const { store, calls } = recordingStore();
    const catalog = checkedImageCatalog(store);
    await catalog.listImages({});
    await catalog.listImages({ name: 'n', marker: ID, limit: 10.7 });
    await catalog.listImages({ limit: MAX_LIST_LIMIT + 1 });
    await catalog.listImages({ limit: -3 });
    expect(calls.map((c) => c[1])).toEqual([
      { limit: DEFAULT_LIST_LIMIT },
      { name: 'n', marker: ID, limit: 10 },
      { limit: MAX_LIST_LIMIT },
      { limit: 0 },
    ]);
  });

  it('answers the first problem in order (image id, then patch or member id) and calls nothing', async () => {
    const { store, calls } = recordingStore();
    const catalog = checkedImageCatalog(store);
    expect(await field(catalog.createImage({ id: '', owner: 'p1', name: 'a\u0000' }, NOW))).toBe('id');
    expect(await field(catalog.listImages({ name: 'a\u0000' }))).toBe('nameFilter');
    expect(await field(catalog.updateImage('', { name: 'a\u0000' }, NOW))).toBe('id');
    expect(await field(catalog.updateImage(ID, { name: 'a\u0000', status: 'deleted' }, NOW))).toBe('name');
    expect(await field(catalog.addMember('', '', NOW))).toBe('id');
    expect(await field(catalog.addMember(ID, '', NOW))).toBe('memberId');
    expect(calls).toEqual([]);
  });

  it.each(['deleted', 'pending_delete'] as const)(
    'refuses a patch to status %s as a StorageFault: only deleteImage deletes',
    async (status) => {
      const { store, calls } = recordingStore();
      const error = (await checkedImageCatalog(store).updateImage(ID, { status }, NOW))._unsafeUnwrapErr();
      expect(error.kind).toBe('StorageFault');
      expect(calls).toEqual([]);
    },
  );
});
