// The one-image read: children come back from SQLite in scan order with their positions, and leave toImageRow in position order.
import { describe, expect, it } from 'vitest';
import { IMAGE_COLUMNS, toImage } from '@image-catalog/sql-kit';
import { openDatabase } from './open-database.js';
import { SELECT_ONE_IMAGE, toImageRow } from './rows.js';

const T = 1_714_564_800_000;

/** A raw row of SELECT_ONE_IMAGE: the image columns, then the four lists as SQLite gives them. */
function rawRow(lists: { tags: unknown; properties: unknown; members: unknown; locations: unknown }): unknown[] {
  const columns: Record<string, unknown> = {
    id: 'image-1',
    name: 'ubuntu',
    owner: 'p1',
    status: 'active',
    visibility: 'shared',
    protected: 0,
    size: 3,
    virtual_size: null,
    checksum: 'c',
    os_hash_algo: null,
    os_hash_value: null,
    disk_format: 'qcow2',
    container_format: 'bare',
    min_disk: 0,
    min_ram: 0,
    created_at: T,
    updated_at: T,
    deleted: 0,
    deleted_at: null,
  };
  return [
    ...IMAGE_COLUMNS.map((column) => columns[column]),
    ...[lists.tags, lists.properties, lists.members, lists.locations].map((list) => JSON.stringify(list)),
  ];
}

describe('toImageRow', () => {
  it('puts every list in position order, whatever order SQLite scanned the rows in', () => {
    const image = toImage(
      toImageRow(
        rawRow({
          tags: [
            [2, 0, 1],
            ['c', 'a', 'b'],
          ],
          properties: [
            [1, 0],
            ['os_version', 'os_distro'],
            ['24.04', 'ubuntu'],
          ],
          members: [
            [5, 3],
            [
              ['p3', 'accepted', T, T],
              ['p2', 'pending', T, T],
            ],
          ],
          locations: [
            [1, 0],
            [
              ['loc-2', 'file:///2', { n: '2' }, 'active'],
              ['loc-1', 'file:///1', {}, 'active'],
            ],
          ],
        }),
      ),
    );
    expect(image.tags).toEqual(['a', 'b', 'c']);
    expect(Object.entries(image.properties)).toEqual([
      ['os_distro', 'ubuntu'],
      ['os_version', '24.04'],
    ]);
    expect(image.members.map((m) => m.memberId)).toEqual(['p2', 'p3']);
    expect(image.locations.map((l) => [l.id, l.metadata])).toEqual([
      ['loc-1', {}],
      ['loc-2', { n: '2' }],
    ]);
  });

  it('keeps a property named __proto__ as an ordinary key, and reads empty lists as none', () => {
    const image = toImage(
      toImageRow(
        rawRow({
          tags: [[], []],
          properties: [[0], ['__proto__'], ['x']],
          members: [[], []],
          locations: [[], []],
        }),
      ),
    );
    expect(Object.keys(image.properties)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(image.properties)).toBe(Object.prototype);
    expect(image).toMatchObject({ tags: [], members: [], locations: [] });
  });

  it('is what SELECT_ONE_IMAGE returns in raw mode: an unknown id reads nothing, an image without children reads empty lists', () => {
    const db = openDatabase(':memory:');
    try {
      const select = db.prepare(SELECT_ONE_IMAGE).raw(true);
      expect(select.columns().map((c) => c.name)).toEqual([...IMAGE_COLUMNS, 'tags', 'properties', 'members', 'locations']);
      expect(select.get('nothing')).toBeUndefined();
      db.prepare("INSERT INTO images (id, status, visibility, created_at, updated_at) VALUES ('bare', 'queued', 'private', ?, ?)").run(
        T,
        T,
      );
      const image = toImage(toImageRow(select.get('bare') as unknown[]));
      expect(image).toMatchObject({ id: 'bare', tags: [], properties: {}, members: [], locations: [], createdAt: new Date(T) });
    } finally {
      db.close();
    }
  });
});
