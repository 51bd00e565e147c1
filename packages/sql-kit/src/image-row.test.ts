// The shared row mapping reads each driver's column shapes into the same core Image, job and event.
import { describe, expect, it } from 'vitest';
import { isLiveRow, toImage, type ImageRow } from './image-row.js';
import { bySeq, oldestFirst, toEvent, toJob } from './job-and-event-rows.js';

const T = new Date('2025-01-02T03:04:05.678Z');

const sqliteRow: ImageRow = {
  id: 'i1',
  name: 'n',
  owner: 'p',
  status: 'active',
  visibility: 'shared',
  protected: 1,
  size: 10,
  virtual_size: null,
  checksum: 'c',
  os_hash_algo: 'sha512',
  os_hash_value: 'h',
  disk_format: 'qcow2',
  container_format: 'bare',
  min_disk: 1,
  min_ram: 2,
  created_at: T.getTime(),
  updated_at: T.getTime(),
  deleted: 0,
  deleted_at: null,
  tags: '["a","b"]',
  properties: '{"k":"v"}',
  members: JSON.stringify([['m1', 'accepted', T.getTime(), T.getTime()]]),
  locations: JSON.stringify([['l1', 'file:///x', { store: 'file' }, 'active']]),
};

const postgresRow: ImageRow = {
  ...sqliteRow,
  protected: true,
  size: '10',
  min_disk: 1,
  created_at: T,
  updated_at: T,
  deleted: false,
  tags: ['a', 'b'],
  properties: { k: 'v' },
  members: [['m1', 'accepted', T.toISOString(), T.toISOString()]],
  locations: [['l1', 'file:///x', { store: 'file' }, 'active']],
};

const mysqlRow: ImageRow = {
  ...postgresRow,
  protected: 1,
  deleted: 0,
  size: 10n as unknown as number,
  min_disk: '1',
  locations: [['l1', 'file:///x', '{"store":"file"}', 'active']],
};

describe('toImage', () => {
  it('maps SQLite, PostgreSQL and MySQL shapes of one image to the same Image', () => {
    const expected = toImage(sqliteRow);
    expect(expected).toMatchObject({ protected: true, size: 10, tags: ['a', 'b'], properties: { k: 'v' }, deleted: false, createdAt: T });
    expect(expected.members).toEqual([{ memberId: 'm1', status: 'accepted', createdAt: T, updatedAt: T }]);
    expect(expected.locations).toEqual([{ id: 'l1', url: 'file:///x', metadata: { store: 'file' }, status: 'active' }]);
    expect(toImage(postgresRow)).toEqual(expected);
    expect(toImage(mysqlRow)).toEqual(expected);
  });

  it('reads the active locations of a deleted image as pending_delete: the delete never wrote them', () => {
    const locations = JSON.stringify([
      ['l1', 'file:///x', {}, 'active'],
      ['l2', 'file:///y', {}, 'deleted'],
    ]);
    const statuses = (row: Partial<ImageRow>) => toImage({ ...sqliteRow, locations, ...row }).locations.map((l) => l.status);
    expect(statuses({ deleted: 1, status: 'deleted', deleted_at: T.getTime() })).toEqual(['pending_delete', 'deleted']);
    expect(statuses({ deleted: true, status: 'pending_delete', deleted_at: T })).toEqual(['pending_delete', 'deleted']);
    expect(statuses({})).toEqual(['active', 'deleted']);
  });

  it('reads NULL aggregates as no children', () => {
    const image = toImage({ ...sqliteRow, tags: null, properties: null, members: null, locations: null });
    expect(image).toMatchObject({ tags: [], properties: {}, members: [], locations: [] });
  });

  it('never aliases the row: changing the Image leaves the row as it was', () => {
    const image = toImage(postgresRow);
    (image.tags as string[]).push('c');
    (image.createdAt as Date).setTime(0);
    expect(postgresRow.tags).toEqual(['a', 'b']);
    expect(postgresRow.created_at).toEqual(T);
  });

  it('isLiveRow follows core isLive on raw columns', () => {
    expect(isLiveRow({ deleted: 0, status: 'active' })).toBe(true);
    expect(isLiveRow({ deleted: true, status: 'active' })).toBe(false);
    expect(isLiveRow({ deleted: false, status: 'pending_delete' })).toBe(false);
  });
});

describe('jobs and events', () => {
  it('map from epoch milliseconds and from Dates alike, and order by seq exactly', () => {
    const job = {
      seq: '9007199254740993',
      id: 'j',
      image_id: 'i',
      location_id: 'l',
      url: 'u',
      state: 'queued' as const,
      attempts: '2',
      available_at: T,
      last_error: null,
      created_at: T.getTime(),
      updated_at: T.toISOString(),
    };
    expect(toJob(job)).toEqual({
      id: 'j',
      imageId: 'i',
      locationId: 'l',
      url: 'u',
      state: 'queued',
      attempts: 2,
      availableAt: T,
      lastError: null,
      createdAt: T,
      updatedAt: T,
    });
    const rows = [
      { ...job, seq: '9007199254740993' },
      { ...job, seq: '9007199254740992' },
    ];
    expect(bySeq(rows).map((r) => r.seq)).toEqual(['9007199254740992', '9007199254740993']);
    expect(
      oldestFirst([
        { seq: 2, created_at: 5 },
        { seq: 1, created_at: 5 },
        { seq: 3, created_at: 1 },
      ]).map((r) => r.seq),
    ).toEqual([3, 1, 2]);
    expect(toJob({ ...job, available_at: String(T.getTime()) }).availableAt).toEqual(T);
    const event = toEvent({
      seq: 1,
      id: 'e',
      type: 'image.delete',
      image_id: 'i',
      payload: '{"id":"i"}',
      occurred_at: T.getTime(),
      delivered_at: null,
      attempts: 0,
    });
    expect(event).toMatchObject({ id: 'e', payload: { id: 'i' }, occurredAt: T, deliveredAt: null });
  });
});
