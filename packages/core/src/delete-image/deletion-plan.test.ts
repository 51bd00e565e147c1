// planDeletion: what a store commits for one delete, computed from the image as read.
import { describe, expect, it } from 'vitest';
import type { Image } from '../image/image.js';
import { newImageRecord } from '../image/new-image.js';
import { toNotificationPayload } from '../image/notification.js';
import { TEST_EPOCH } from '../test-support/test-clock.js';
import { planDeletion, type DeletionPlanSettings } from './deletion-plan.js';

const CREATED = TEST_EPOCH;
const NOW = new Date(TEST_EPOCH.getTime() + 60_000);
const DUE = new Date(NOW.getTime() + 3_600_000);

function settings(overrides: Partial<DeletionPlanSettings> = {}): DeletionPlanSettings {
  let n = 0;
  return { now: NOW, delayed: false, jobsDueAt: DUE, eventId: 'event-1', newJobId: () => `job-${++n}`, ...overrides };
}

/** An active image with tags, properties, a member and two active locations, as a store reads it. */
function image(overrides: Partial<Image> = {}): Image {
  const record = newImageRecord(
    {
      id: 'image-1',
      name: 'ubuntu',
      owner: 'p1',
      status: 'active',
      visibility: 'shared',
      size: 3,
      checksum: 'c',
      tags: ['a', 'b'],
      properties: { os_distro: 'ubuntu' },
      members: [{ memberId: 'p2', status: 'accepted' }],
      locations: [
        { id: 'loc-1', url: 'file:///images/1', metadata: { n: '1' } },
        { id: 'loc-2', url: 'file:///images/2' },
      ],
    },
    CREATED,
  );
  return { ...record, ...overrides };
}

describe('planDeletion', () => {
  it('marks the image deleted at `now`; its active locations become pending_delete; nothing else changes', () => {
    const before = image();
    const { image: after } = planDeletion(before, settings());
    expect(after).toEqual({
      ...before,
      status: 'deleted',
      deleted: true,
      deletedAt: NOW,
      updatedAt: NOW,
      locations: before.locations.map((l) => ({ ...l, status: 'pending_delete' })),
    });
  });

  it('queues one job per active location, in location order, with ids from newJobId, due at jobsDueAt', () => {
    const before = image({ locations: [...image().locations, { id: 'loc-3', url: 'file:///images/3', metadata: {}, status: 'deleted' }] });
    const { jobs, image: after } = planDeletion(before, settings());
    expect(jobs).toEqual([
      {
        id: 'job-1',
        imageId: 'image-1',
        locationId: 'loc-1',
        url: 'file:///images/1',
        state: 'queued',
        attempts: 0,
        availableAt: DUE,
        lastError: null,
        createdAt: NOW,
        updatedAt: NOW,
      },
      {
        id: 'job-2',
        imageId: 'image-1',
        locationId: 'loc-2',
        url: 'file:///images/2',
        state: 'queued',
        attempts: 0,
        availableAt: DUE,
        lastError: null,
        createdAt: NOW,
        updatedAt: NOW,
      },
    ]);
    // A location whose data is already gone gets no job and keeps its status.
    expect(after.locations.map((l) => l.status)).toEqual(['pending_delete', 'pending_delete', 'deleted']);
  });

  it('writes one image.delete event: the committed image as Glance notifies it, with the given id, never its locations', () => {
    const { event, image: after } = planDeletion(image(), settings({ eventId: 'event-42' }));
    expect(event).toEqual({
      id: 'event-42',
      type: 'image.delete',
      imageId: 'image-1',
      payload: toNotificationPayload(after),
      occurredAt: NOW,
      deliveredAt: null,
      attempts: 0,
    });
    expect(event.payload).toMatchObject({
      status: 'deleted',
      deleted: true,
      deleted_at: '2024-05-01T12:01:00Z',
      updated_at: '2024-05-01T12:01:00Z',
      tags: ['a', 'b'],
    });
    expect(JSON.stringify(event.payload)).not.toContain('file:///');
  });

  it('in delayed mode, an image with data goes to pending_delete; one without data is deleted at once', () => {
    expect(planDeletion(image(), settings({ delayed: true })).image.status).toBe('pending_delete');
    expect(planDeletion(image(), settings({ delayed: true })).event.payload.status).toBe('pending_delete');

    const empty = planDeletion(image({ status: 'queued', locations: [] }), settings({ delayed: true }));
    expect(empty.image.status).toBe('deleted');
    expect(empty.jobs).toEqual([]);

    const dataGone = image({ locations: [{ id: 'loc-1', url: 'file:///images/1', metadata: {}, status: 'deleted' }] });
    expect(planDeletion(dataGone, settings({ delayed: true })).image.status).toBe('deleted');
  });

  it('shares no object with its inputs, so a store may keep or change either', () => {
    const before = image();
    const given = settings();
    const inputs = objectsIn([before, given]);
    const shared = [...objectsIn(planDeletion(before, given))].filter((o) => inputs.has(o));
    expect(shared).toEqual([]);
  });
});

/** Every object (arrays and dates included) reachable from `value`. */
function objectsIn(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value === 'object' && value !== null && !into.has(value)) {
    into.add(value);
    for (const child of Object.values(value)) objectsIn(child, into);
  }
  return into;
}
