import { describe, expect, it } from 'vitest';
import { newImageRecord } from './new-image.js';
import { isoTime, toNotificationPayload } from './notification.js';

describe('toNotificationPayload', () => {
  const created = new Date('2026-01-01T10:00:00.123Z');
  const deletedAt = new Date('2026-01-02T11:30:00.999Z');
  const image = {
    ...newImageRecord(
      {
        id: '6f1c6e3a-2b1d-4c5e-9f00-abcdef012345',
        name: 'cirros',
        owner: 'p1',
        visibility: 'public',
        size: 12,
        checksum: 'abc',
        diskFormat: 'qcow2',
        containerFormat: 'bare',
        tags: ['a', 'b', 'a'],
        properties: { os_distro: 'cirros' },
        locations: [{ url: 'file:///secret/path/6f1c6e3a', metadata: { backend: 'file' } }],
      },
      created,
    ),
    status: 'deleted' as const,
    deleted: true,
    deletedAt,
    updatedAt: deletedAt,
  };

  it('formats the image as Glance notifications do, with deleted and deleted_at', () => {
    expect(toNotificationPayload(image)).toEqual({
      id: image.id,
      name: 'cirros',
      status: 'deleted',
      created_at: '2026-01-01T10:00:00Z',
      updated_at: '2026-01-02T11:30:00Z',
      min_disk: 0,
      min_ram: 0,
      protected: false,
      checksum: 'abc',
      owner: 'p1',
      disk_format: 'qcow2',
      container_format: 'bare',
      size: 12,
      virtual_size: null,
      is_public: true,
      visibility: 'public',
      properties: { os_distro: 'cirros' },
      tags: ['a', 'b'],
      deleted: true,
      deleted_at: '2026-01-02T11:30:00Z',
    });
  });

  it('never carries locations', () => {
    const json = JSON.stringify(toNotificationPayload(image));
    expect(json).not.toContain('file://');
    expect(json).not.toContain('secret');
    expect(json).not.toContain('location');
  });

  it('prints times without fractional seconds', () => {
    expect(isoTime(new Date('2026-03-04T05:06:07.890Z'))).toBe('2026-03-04T05:06:07Z');
  });
});
