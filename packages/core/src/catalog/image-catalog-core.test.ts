// createImageCatalogCore's background work: a committed delete wakes the relay at once and the scrubber when its jobs are due.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeleteCommitted } from '../delete-image/delete-image.use-case.js';
import { systemClock } from '../ports/clock.port.js';
import { adminPrincipal } from '../test-support/principals.js';
import { RecordingPublisher } from '../test-support/recording-publisher.js';
import { TestDataStore } from '../test-support/test-data-store.js';
import { createTestStorage } from '../test-support/test-storage.js';
import { recordingLogger } from '../test-support/recording-logger.js';
import { createImageCatalogCore, type ImageCatalogCoreOptions, type StorageBackgroundWork } from './image-catalog-core.js';

const admin = adminPrincipal();

beforeEach(() => {
  // Date too: the system clock the catalog reads is the one the fake timers move.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});

afterEach(() => {
  vi.useRealTimers();
});

function setup(options: Partial<ImageCatalogCoreOptions> = {}) {
  const storage = createTestStorage();
  const data = new TestDataStore();
  const publisher = new RecordingPublisher();
  const core = createImageCatalogCore({ storage, dataStore: data, publisher, clock: systemClock, ...options });

  function imageWithData(): { id: string; url: string } {
    const id = randomUUID();
    const url = data.newUrl(id);
    data.put(url);
    storage.seed({ id, owner: 'p1', status: 'active', locations: [{ url }] }, systemClock.now());
    return { id, url };
  }
  async function remove(id: string) {
    return (await core.deleteImage.execute({ imageId: id, principal: admin }))._unsafeUnwrap();
  }
  async function statusOf(id: string) {
    return (await storage.images.findById(id))._unsafeUnwrap()?.status;
  }
  return { storage, data, publisher, core, imageWithData, remove, statusOf };
}

describe('createImageCatalogCore: the scrubber wakes when delayed-delete jobs become due', () => {
  it('deletes the data right at its due time, although the scrubber polls only every 30 s', async () => {
    const h = setup({ deleteImage: { delayedDelete: { delaySeconds: 2 } }, scrubber: { intervalMs: 30_000 } });
    h.core.start();
    await vi.advanceTimersByTimeAsync(5_000); // the start-up runs are long over
    const { id, url } = h.imageWithData();
    expect((await h.remove(id)).status).toBe('pending_delete');

    await vi.advanceTimersByTimeAsync(1_999);
    expect(h.data.has(url)).toBe(true);
    expect(await h.statusOf(id)).toBe('pending_delete');
    await vi.advanceTimersByTimeAsync(1);
    expect(h.data.has(url)).toBe(false);
    expect(await h.statusOf(id)).toBe('deleted');
    await h.core.stop();
  });

  it('a burst of deletes shares one scrubber run at the due time', async () => {
    const h = setup({ deleteImage: { delayedDelete: { delaySeconds: 2 } }, scrubber: { intervalMs: 30_000 } });
    h.core.start();
    await vi.advanceTimersByTimeAsync(5_000);
    const claimsBefore = h.storage.callsOf('claimDue');
    const images = Array.from({ length: 20 }, () => h.imageWithData());
    for (const image of images) await h.remove(image.id);

    await vi.advanceTimersByTimeAsync(2_000);
    expect(images.filter((image) => h.data.has(image.url))).toEqual([]);
    // One run: a claim that took the 20 jobs and one that found nothing left.
    expect(h.storage.callsOf('claimDue') - claimsBefore).toBe(2);
    await h.core.stop();
  });

  it('in immediate mode the inline deletion does the work and the scrubber keeps to its interval', async () => {
    const h = setup({ scrubber: { intervalMs: 30_000 } });
    h.core.start();
    await vi.advanceTimersByTimeAsync(5_000);
    const claimsBefore = h.storage.callsOf('claimDue');
    const { id, url } = h.imageWithData();
    expect((await h.remove(id)).inlineDataDeletion).toMatchObject({ done: 1 });
    expect(h.data.has(url)).toBe(false);
    await vi.advanceTimersByTimeAsync(24_999);
    expect(h.storage.callsOf('claimDue')).toBe(claimsBefore);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.storage.callsOf('claimDue')).toBe(claimsBefore + 1);
    await h.core.stop();
  });
});

describe('createImageCatalogCore: the relay wakes when a delete commits', () => {
  it('delivers the event right after the commit, although the relay polls only every 60 s', async () => {
    const h = setup({ relay: { intervalMs: 60_000 } });
    h.core.start();
    await vi.advanceTimersByTimeAsync(5_000);
    const { id } = h.imageWithData();
    const deleted = await h.remove(id);
    expect(h.publisher.publishedIds()).toEqual([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.publisher.publishedIds()).toEqual([deleted.eventId]);
    await h.core.stop();
  });

  it('a burst of deletes shares runs: at most one per minPauseMs', async () => {
    const h = setup({ relay: { intervalMs: 60_000, minPauseMs: 100 } });
    h.core.start();
    await vi.advanceTimersByTimeAsync(5_000);
    const eventIds: string[] = [];
    // 50 deletes over 250 ms: each wakes the relay.
    for (let i = 0; i < 50; i++) {
      eventIds.push((await h.remove(h.imageWithData().id)).eventId);
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(100);
    expect(h.publisher.publishedIds()).toEqual(eventIds);
    // The first delete's run goes at once; the others gather into one run per 100 ms.
    expect(h.publisher.batches.length).toBeGreaterThanOrEqual(2);
    expect(h.publisher.batches.length).toBeLessThanOrEqual(4);
    await h.core.stop();
  });

  it('while publishing fails, commits do not hurry the relay: it retries at its interval', async () => {
    const h = setup({ relay: { intervalMs: 1_000, minPauseMs: 100, backoff: { random: () => 0, baseMs: 1 } } });
    h.core.start();
    await vi.advanceTimersByTimeAsync(5_000); // the relay's last run ended at 5 000
    h.publisher.failNext(1);
    await h.remove(h.imageWithData().id);
    await vi.advanceTimersByTimeAsync(100); // woken: runs at 5 100, and the publish fails
    const claims = h.storage.callsOf('claimPending');
    expect(h.publisher.batches).toEqual([]);

    for (let i = 0; i < 10; i++) await h.remove(h.imageWithData().id);
    await vi.advanceTimersByTimeAsync(999);
    expect(h.storage.callsOf('claimPending')).toBe(claims);
    await vi.advanceTimersByTimeAsync(1); // 6 100: the interval after the failed run
    expect(h.publisher.published).toHaveLength(11);
    await h.core.stop();
  });
});

describe('createImageCatalogCore: the host’s onCommitted', () => {
  it('is still called, after the loops were woken', async () => {
    const heard: DeleteCommitted[] = [];
    const h = setup({ deleteImage: { delayedDelete: { delaySeconds: 60 }, onCommitted: (c) => heard.push(c) } });
    const { id } = h.imageWithData();
    const deleted = await h.remove(id);
    expect(heard).toEqual([
      { imageId: id, status: 'pending_delete', eventId: deleted.eventId, jobsDueAt: new Date(deleted.deletedAt.getTime() + 60_000) },
    ]);
  });
});

describe('createImageCatalogCore: the storage’s background work', () => {
  it('starts with start(), with the catalog’s logger, and stops after the last event delivery', async () => {
    const calls: string[] = [];
    const { logger } = recordingLogger();
    const storage = createTestStorage();
    const publisher = new RecordingPublisher();
    const background: StorageBackgroundWork = {
      start: (options) => void calls.push(options.logger === logger ? 'start with the catalog’s logger' : 'start'),
      stop: async () => void calls.push(`stop after ${publisher.published.length} event(s) delivered`),
    };
    const core = createImageCatalogCore({ storage: { ...storage, background }, dataStore: new TestDataStore(), publisher, logger });
    const id = randomUUID();
    storage.seed({ id, owner: 'p1', status: 'queued' }, systemClock.now());
    expect((await core.deleteImage.execute({ imageId: id, principal: admin })).isOk()).toBe(true);
    expect(calls).toEqual([]);
    core.start();
    expect(calls).toEqual(['start with the catalog’s logger']);
    await core.stop();
    expect(calls).toEqual(['start with the catalog’s logger', 'stop after 1 event(s) delivered']);
  });
});
