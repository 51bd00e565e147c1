// The scrubber's loop sleeps until the earliest queued job is due (the interval only bounds it), and wakes when told, unless the store is failing.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DataDeletionWorker } from '../data-deletion/data-deletion-worker.js';
import { DeleteImage } from '../delete-image/delete-image.use-case.js';
import { defaultDeletePolicy } from '../policy/default-delete-policy.js';
import { systemClock } from '../ports/clock.port.js';
import { adminPrincipal } from '../test-support/principals.js';
import { TestDataStore } from '../test-support/test-data-store.js';
import { createTestStorage } from '../test-support/test-storage.js';
import { Scrubber } from './scrubber.js';

const admin = adminPrincipal();
const INTERVAL = 30_000;

beforeEach(() => {
  // Date too: the system clock the scrubber reads is the one the fake timers move.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});

afterEach(() => {
  vi.useRealTimers();
});

/** A scrubber and a delayed-delete use case that does not wake it: only the scrubber's own schedule counts here. */
function setup(delaySeconds: number) {
  const storage = createTestStorage();
  const data = new TestDataStore();
  // random() = 0: a failed job is retried exactly 500 ms later.
  const worker = new DataDeletionWorker(data, storage.jobs, systemClock, undefined, { backoff: { random: () => 0 } });
  const deleteImage = new DeleteImage(storage.images, defaultDeletePolicy, systemClock, worker, undefined, {
    delayedDelete: { delaySeconds },
  });
  const scrubber = new Scrubber(storage.jobs, worker, systemClock);

  async function deletedImageWithData(locations = 1): Promise<{ id: string; urls: string[] }> {
    const id = randomUUID();
    const urls = Array.from({ length: locations }, () => data.newUrl(id));
    for (const url of urls) data.put(url);
    storage.seed({ id, owner: 'p1', status: 'active', locations: urls.map((url) => ({ url })) }, systemClock.now());
    (await deleteImage.execute({ imageId: id, principal: admin }))._unsafeUnwrap();
    return { id, urls };
  }
  return { storage, data, scrubber, deletedImageWithData };
}

describe('Scrubber loop: sleeps until the next job is due', () => {
  it('runs when jobs queued before it started become due, not at the next poll', async () => {
    const h = setup(5);
    const { urls } = await h.deletedImageWithData();
    h.scrubber.start({ intervalMs: INTERVAL });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(h.data.has(urls[0]!)).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.data.has(urls[0]!)).toBe(false);
    await h.scrubber.stop();
  });

  it('retries a failed job at its backoff time, not at the next poll', async () => {
    const h = setup(1);
    const { urls } = await h.deletedImageWithData(2);
    h.scrubber.start({ intervalMs: INTERVAL });
    h.data.failNext(1, 'DataStoreUnavailable');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(urls.filter((url) => h.data.has(url))).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(urls.filter((url) => h.data.has(url))).toEqual([]);
    await h.scrubber.stop();
  });

  it('never sleeps past the interval, and with nothing queued keeps to it', async () => {
    const h = setup(3_600);
    const { urls } = await h.deletedImageWithData();
    const claims = vi.spyOn(h.storage.jobs, 'claimDue');
    h.scrubber.start({ intervalMs: INTERVAL });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(claims).toHaveBeenCalledTimes(2);
    expect(h.data.has(urls[0]!)).toBe(true);
    await h.scrubber.stop();
  });
});

describe('Scrubber.wake', () => {
  it('runs at the time it is given, once, however many wakes name it', async () => {
    const h = setup(2);
    h.scrubber.start({ intervalMs: INTERVAL });
    await vi.advanceTimersByTimeAsync(10);
    const claims = vi.spyOn(h.storage.jobs, 'claimDue');
    const images = [];
    for (let i = 0; i < 10; i++) images.push(await h.deletedImageWithData());
    for (let i = 0; i < 10; i++) h.scrubber.wake(new Date(systemClock.now().getTime() + 2_000));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(images.flatMap((image) => image.urls).filter((url) => h.data.has(url))).toEqual([]);
    expect(claims).toHaveBeenCalledTimes(2); // one run: the jobs, then nothing left
    await h.scrubber.stop();
  });

  it('is ignored while the data store is failing: the loop waits its interval rather than spend attempts', async () => {
    const h = setup(0);
    const fault = h.data.failAlways('DataStoreUnavailable');
    const { urls } = await h.deletedImageWithData();
    h.scrubber.start({ intervalMs: INTERVAL });
    await vi.advanceTimersByTimeAsync(0); // the run deletes nothing: no progress
    const claims = vi.spyOn(h.storage.jobs, 'claimDue');
    fault.remove();
    h.scrubber.wake();
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(claims).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(h.data.has(urls[0]!)).toBe(false);
    await h.scrubber.stop();
  });

  it('requeueDead runs the requeued jobs at once', async () => {
    const h = setup(0);
    const fault = h.data.failAlways('DataStoreRejected');
    const { id, urls } = await h.deletedImageWithData();
    h.scrubber.start({ intervalMs: INTERVAL });
    await vi.advanceTimersByTimeAsync(0);
    expect((await h.storage.jobs.listJobs({ imageId: id }))._unsafeUnwrap()[0]!.state).toBe('dead');
    fault.remove();
    expect((await h.scrubber.requeueDead())._unsafeUnwrap()).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.data.has(urls[0]!)).toBe(false);
    await h.scrubber.stop();
  });
});
