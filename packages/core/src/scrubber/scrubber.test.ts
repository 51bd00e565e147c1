// The scrubber over core's in-test storage: retries with backoff, dead letters, hangs, delayed delete, batches.
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataDeletionWorker, type DataDeletionWorkerOptions } from '../data-deletion/data-deletion-worker.js';
import { DeleteImage } from '../delete-image/delete-image.use-case.js';
import type { DataDeletionJobQueue } from '../ports/data-deletion-job-queue.port.js';
import { storageFault, storageUnavailable } from '../ports/storage-error.js';
import { defaultDeletePolicy } from '../policy/default-delete-policy.js';
import { adminPrincipal } from '../test-support/principals.js';
import { recordingLogger } from '../test-support/recording-logger.js';
import { TEST_EPOCH, TestClock } from '../test-support/test-clock.js';
import { TestDataStore } from '../test-support/test-data-store.js';
import { createTestStorage } from '../test-support/test-storage.js';
import { Scrubber, type ScrubberOptions } from './scrubber.js';

const T0 = TEST_EPOCH;
const admin = adminPrincipal();

interface SetupOptions {
  readonly delaySeconds?: number;
  /** `false`: no inline data deletion, everything is left to the scrubber (due after the 60 s inline lease). */
  readonly inline?: boolean;
  readonly worker?: DataDeletionWorkerOptions;
  readonly scrubber?: ScrubberOptions;
}

function setup(options: SetupOptions = {}) {
  const clock = new TestClock();
  const storage = createTestStorage();
  const data = new TestDataStore();
  const { logger, entries } = recordingLogger();
  // random() = 0: the backoff is exactly half the exponential delay, 500 ms, 1 s, 2 s, ...
  const worker = new DataDeletionWorker(data, storage.jobs, clock, logger, { backoff: { random: () => 0 }, ...options.worker });
  const deleteImage = new DeleteImage(storage.images, defaultDeletePolicy, clock, options.inline === false ? null : worker, logger, {
    delayedDelete: options.delaySeconds === undefined ? null : { delaySeconds: options.delaySeconds },
  });
  const scrubber = new Scrubber(storage.jobs, worker, clock, logger, options.scrubber);

  function imageWithData(locations = 1): { id: string; urls: string[] } {
    const id = randomUUID();
    const urls = Array.from({ length: locations }, () => data.newUrl(id));
    for (const url of urls) data.put(url);
    storage.seed({ id, owner: 'p1', status: 'active', locations: urls.map((url) => ({ url })) }, clock.now());
    return { id, urls };
  }
  async function remove(id: string) {
    return (await deleteImage.execute({ imageId: id, principal: admin }))._unsafeUnwrap();
  }
  async function jobsOf(imageId: string) {
    return (await storage.jobs.listJobs({ imageId }))._unsafeUnwrap();
  }
  async function run() {
    return (await scrubber.runOnce())._unsafeUnwrap();
  }
  return { clock, storage, data, entries, worker, deleteImage, scrubber, imageWithData, remove, jobsOf, run };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Scrubber: a data store that fails for a while', () => {
  it('the delete still succeeds; the job is retried with backoff and the data deleted once the store recovers', async () => {
    const h = setup();
    const { id, urls } = h.imageWithData();
    h.data.failNext(2, 'DataStoreUnavailable');

    const deleted = await h.remove(id);
    expect(deleted.status).toBe('deleted');
    expect(deleted.inlineDataDeletion).toMatchObject({ done: 0, retry: 1 });
    expect(h.data.has(urls[0]!)).toBe(true);
    let [job] = await h.jobsOf(id);
    expect(job).toMatchObject({ state: 'queued', attempts: 1, lastError: expect.stringContaining('DataStoreUnavailable') });
    expect(job!.availableAt).toEqual(new Date(T0.getTime() + 500));

    // Not due before its backoff.
    expect((await h.run()).claimed).toBe(0);

    h.clock.advanceSeconds(0.5);
    expect(await h.run()).toMatchObject({ claimed: 1, done: 0, retried: 1, stoppedBecause: 'no-progress' });
    [job] = await h.jobsOf(id);
    expect(job).toMatchObject({ state: 'queued', attempts: 2 });
    expect(job!.availableAt).toEqual(new Date(T0.getTime() + 500 + 1000));

    h.clock.advanceSeconds(0.999);
    expect((await h.run()).claimed).toBe(0);
    h.clock.advanceSeconds(0.001);
    expect(await h.run()).toMatchObject({ claimed: 1, done: 1, retried: 0, dead: 0, abandoned: 0, stoppedBecause: 'drained' });
    expect(h.data.has(urls[0]!)).toBe(false);
    expect((await h.jobsOf(id))[0]!.state).toBe('done');
    expect((await h.scrubber.counts())._unsafeUnwrap()).toEqual({ queued: 0, done: 1, dead: 0, cancelled: 0 });
  });

  it('logs each run with its counts', async () => {
    const h = setup();
    const { id } = h.imageWithData();
    h.data.failNext(1, 'DataStoreUnavailable');
    await h.remove(id);
    h.clock.advanceSeconds(1);
    await h.run();
    const finished = h.entries.find((e) => e.msg === 'scrubber run finished');
    expect(finished).toMatchObject({ level: 'info', obj: { claimed: 1, done: 1, retried: 0, dead: 0, abandoned: 0, batches: 1 } });
    await h.run();
    expect(h.entries.at(-1)).toMatchObject({ level: 'debug', obj: { claimed: 0 } });
  });
});

describe('Scrubber: a data store that refuses for good', () => {
  it('dead-letters a rejected location at once; it is visible in listJobs and counts, and requeueing finishes it', async () => {
    const h = setup();
    const { id, urls } = h.imageWithData();
    const fault = h.data.failAlways('DataStoreRejected');

    const deleted = await h.remove(id);
    expect(deleted.status).toBe('deleted');
    expect(deleted.inlineDataDeletion).toMatchObject({ dead: 1 });
    const dead = (await h.storage.jobs.listJobs({ state: 'dead' }))._unsafeUnwrap();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ imageId: id, attempts: 1, lastError: expect.stringContaining('DataStoreRejected') });
    expect((await h.scrubber.counts())._unsafeUnwrap()).toMatchObject({ queued: 0, dead: 1 });
    expect(h.entries.some((e) => e.level === 'error' && e.obj['jobId'] === dead[0]!.id)).toBe(true);

    h.clock.advanceSeconds(3600);
    expect((await h.run()).claimed).toBe(0);
    expect(h.data.has(urls[0]!)).toBe(true);

    fault.remove();
    expect((await h.scrubber.requeueDead())._unsafeUnwrap()).toBe(1);
    expect(await h.run()).toMatchObject({ claimed: 1, done: 1 });
    expect(h.data.has(urls[0]!)).toBe(false);
    expect((await h.scrubber.counts())._unsafeUnwrap()).toMatchObject({ queued: 0, done: 1, dead: 0 });
  });

  it('dead-letters a job after maxAttempts faults and logs the run loudly; requeueDead(ids) takes only those', async () => {
    const h = setup({ worker: { maxAttempts: 3 } });
    const a = h.imageWithData();
    const fault = h.data.failAlways('DataStoreFault');
    await h.remove(a.id); // attempt 1 (inline)
    h.clock.advanceSeconds(0.5);
    expect(await h.run()).toMatchObject({ retried: 1 }); // attempt 2
    h.clock.advanceSeconds(1);
    const summary = await h.run(); // attempt 3: dead
    expect(summary).toMatchObject({ claimed: 1, dead: 1, retried: 0 });

    const [job] = await h.jobsOf(a.id);
    expect(job).toMatchObject({ state: 'dead', attempts: 3 });
    const loud = h.entries.find((e) => e.level === 'error' && e.msg?.startsWith('scrubber run dead-lettered'));
    expect(loud?.obj).toMatchObject({ dead: 1, deadJobs: [{ jobId: job!.id, imageId: a.id }] });

    fault.remove();
    expect((await h.scrubber.requeueDead(['some-other-job']))._unsafeUnwrap()).toBe(0);
    expect((await h.scrubber.requeueDead([job!.id]))._unsafeUnwrap()).toBe(1);
    expect((await h.jobsOf(a.id))[0]).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await h.run()).toMatchObject({ done: 1 });
    expect(h.data.has(a.urls[0]!)).toBe(false);
  });
});

describe('Scrubber: a data store that stops answering', () => {
  it('abandons the job after the per-job timeout; its lease brings it back and the next run finishes it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const h = setup({ inline: false, worker: { perJobTimeoutMs: 1_000 }, scrubber: { leaseSeconds: 120 } });
    const { id, urls } = h.imageWithData();
    await h.remove(id);
    h.clock.advanceSeconds(60); // past the inline lease: the scrubber's now

    const hang = h.data.hang();
    const running = h.scrubber.runOnce();
    await hang.reached();
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await running)._unsafeUnwrap()).toMatchObject({ claimed: 1, abandoned: 1, done: 0, stoppedBecause: 'no-progress' });
    const [job] = await h.jobsOf(id);
    expect(job).toMatchObject({ state: 'queued', attempts: 0 });
    expect(job!.availableAt).toEqual(new Date(T0.getTime() + (60 + 120) * 1000));

    // Still leased: nobody else takes it.
    expect((await h.run()).claimed).toBe(0);

    // The stuck call finishes late; its answer was abandoned, so the job is still queued.
    hang.release();
    h.clock.advanceSeconds(120);
    expect(await h.run()).toMatchObject({ claimed: 1, done: 1 });
    expect(h.data.has(urls[0]!)).toBe(false);
    expect((await h.jobsOf(id))[0]!.state).toBe('done');
  });
});

describe('Scrubber: delayed delete, end to end', () => {
  it('keeps the image pending_delete and its data until the delay; then deletes the data and the image becomes deleted', async () => {
    const h = setup({ delaySeconds: 3600 });
    const { id, urls } = h.imageWithData(2);

    const deleted = await h.remove(id);
    expect(deleted).toMatchObject({ status: 'pending_delete', dataDeletionJobs: 2, inlineDataDeletion: null });
    expect((await h.storage.images.findById(id))._unsafeUnwrap()).toMatchObject({ status: 'pending_delete', deleted: true });
    expect((await h.deleteImage.execute({ imageId: id, principal: admin }))._unsafeUnwrapErr().kind).toBe('ImageNotFound');

    h.clock.advanceSeconds(3599);
    expect((await h.run()).claimed).toBe(0);
    expect(urls.every((url) => h.data.has(url))).toBe(true);

    h.clock.advanceSeconds(1);
    expect(await h.run()).toMatchObject({ claimed: 2, done: 2 });
    expect(urls.some((url) => h.data.has(url))).toBe(false);
    expect((await h.storage.images.findById(id))._unsafeUnwrap()).toMatchObject({ status: 'deleted', deleted: true });
  });

  it('leaves the image pending_delete while any of its data remains', async () => {
    const h = setup({ delaySeconds: 60 });
    const { id, urls } = h.imageWithData(2);
    await h.remove(id);
    h.data.failNext(1, 'DataStoreUnavailable');
    h.clock.advanceSeconds(60);
    expect(await h.run()).toMatchObject({ done: 1, retried: 1 });
    expect((await h.storage.images.findById(id))._unsafeUnwrap()!.status).toBe('pending_delete');
    expect(urls.filter((url) => h.data.has(url))).toHaveLength(1);

    h.clock.advanceSeconds(0.5);
    expect(await h.run()).toMatchObject({ done: 1 });
    expect((await h.storage.images.findById(id))._unsafeUnwrap()!.status).toBe('deleted');
  });
});

describe('Scrubber: batches and limits', () => {
  it('drains due jobs in batches, at most maxJobsPerRun per run', async () => {
    const h = setup({ inline: false, scrubber: { batchSize: 2, maxJobsPerRun: 3 } });
    const images = [];
    for (let i = 0; i < 5; i++) images.push(h.imageWithData());
    for (const image of images) await h.remove(image.id);
    h.clock.advanceSeconds(60);

    expect(await h.run()).toMatchObject({ claimed: 3, done: 3, batches: 2, stoppedBecause: 'max-jobs-per-run' });
    expect(await h.run()).toMatchObject({ claimed: 2, done: 2, batches: 1, stoppedBecause: 'drained' });
    expect(h.data.urls()).toEqual([]);
  });

  it('answers the storage error when it cannot claim jobs, and never throws', async () => {
    const h = setup();
    h.storage.failNext('claimDue', storageUnavailable());
    const result = await h.scrubber.runOnce();
    expect(result._unsafeUnwrapErr().kind).toBe('StorageUnavailable');
    expect((await h.scrubber.runOnce()).isOk()).toBe(true);
  });

  it('turns a queue that throws into StorageFault', async () => {
    const h = setup();
    const throwing: DataDeletionJobQueue = {
      ...h.storage.jobs,
      claimDue: () => {
        throw new Error('defect');
      },
    };
    const scrubber = new Scrubber(throwing, h.worker, h.clock);
    expect((await scrubber.runOnce())._unsafeUnwrapErr().kind).toBe('StorageFault');
  });

  it.each([{ batchSize: 0 }, { leaseSeconds: 1.5 }, { maxJobsPerRun: -1 }])('refuses nonsense options %o', (options) => {
    const h = setup();
    expect(() => new Scrubber(h.storage.jobs, h.worker, h.clock, undefined, options)).toThrow(RangeError);
  });
});

describe('Scrubber.start/stop', () => {
  it('runs at once, then every interval; stop waits and ends the loop', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const h = setup({ inline: false });
    const claims = vi.spyOn(h.storage.jobs, 'claimDue');
    const first = h.imageWithData();
    await h.remove(first.id);
    h.clock.advanceSeconds(60);

    h.scrubber.start({ intervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(h.data.has(first.urls[0]!)).toBe(false);

    const second = h.imageWithData();
    await h.remove(second.id);
    h.clock.advanceSeconds(60);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(h.data.has(second.urls[0]!)).toBe(false);

    await h.scrubber.stop();
    const callsAtStop = claims.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(claims.mock.calls.length).toBe(callsAtStop);
  });
});

describe('Scrubber: purging the children of deleted images', () => {
  const DAY = 86_400;

  /** An image with data and 2 tags, 1 property, 1 member: 1 location + 4 children, 5 rows to purge once deleted. */
  function imageWithChildren(h: ReturnType<typeof setup>) {
    const { id, urls } = h.imageWithData();
    h.storage.change(id, {
      tags: ['a', 'b'],
      properties: { os: 'linux' },
      members: [{ memberId: 'p2', status: 'accepted', createdAt: T0, updatedAt: T0 }],
    });
    return { id, urls };
  }
  const children = async (h: ReturnType<typeof setup>, id: string) => {
    const image = (await h.storage.images.findById(id))._unsafeUnwrap()!;
    return image.tags.length + Object.keys(image.properties).length + image.members.length + image.locations.length;
  };

  it('purges a finally deleted image after purgeAfterSeconds (a day by default), never before, never one pending_delete', async () => {
    const h = setup({ delaySeconds: 2 * DAY });
    // Without data, so deleted at once even in delayed mode: 2 tags, 1 property, 1 member.
    const gone = h.storage.seed(
      { id: randomUUID(), owner: 'p1', tags: ['a', 'b'], properties: { os: 'linux' }, members: [{ memberId: 'p2' }] },
      h.clock.now(),
    );
    const pending = imageWithChildren(h);
    expect(await h.remove(gone.id)).toMatchObject({ status: 'deleted' });
    expect(await h.remove(pending.id)).toMatchObject({ status: 'pending_delete' });

    h.clock.advanceSeconds(DAY - 1);
    expect(await h.run()).toMatchObject({ purged: 0 });
    expect(await children(h, gone.id)).toBe(4);

    h.clock.advanceSeconds(1);
    expect(await h.run()).toMatchObject({ claimed: 0, purged: 4 });
    expect((await h.storage.images.findById(gone.id))._unsafeUnwrap()).toMatchObject({
      status: 'deleted',
      tags: [],
      properties: {},
      members: [],
      locations: [],
    });
    expect(await children(h, pending.id)).toBe(5);
    expect(await h.run()).toMatchObject({ purged: 0 });
  });

  it('leaves a deleted image whose data-deletion job is still queued or dead', async () => {
    const h = setup({ inline: false, worker: { maxAttempts: 1 } });
    const image = imageWithChildren(h);
    await h.remove(image.id);
    h.clock.advanceSeconds(2 * DAY);
    h.data.failNext(1, 'DataStoreRejected');
    expect(await h.run()).toMatchObject({ dead: 1, purged: 0 });
    expect(await children(h, image.id)).toBe(5);

    (await h.scrubber.requeueDead())._unsafeUnwrap();
    expect(await h.run()).toMatchObject({ done: 1, purged: 5 });
  });

  it('purges in batches of purgeBatchSize, at most maxPurgedPerRun per run; null never purges', async () => {
    const h = setup({ scrubber: { purgeAfterSeconds: 0, purgeBatchSize: 2, maxPurgedPerRun: 7 } });
    const images = [imageWithChildren(h), imageWithChildren(h)];
    for (const image of images) await h.remove(image.id);
    const purge = vi.spyOn(h.storage.jobs, 'purgeDeletedChildren');

    expect(await h.run()).toMatchObject({ purged: 7 });
    expect(purge.mock.calls.map(([request]) => request.limit)).toEqual([2, 2, 2, 1]);
    expect(purge.mock.calls[0]![0].olderThan).toEqual(h.clock.now());
    expect(await h.run()).toMatchObject({ purged: 3 });
    expect(await h.run()).toMatchObject({ purged: 0 });

    const never = setup({ scrubber: { purgeAfterSeconds: null } });
    const kept = imageWithChildren(never);
    await never.remove(kept.id);
    never.clock.advanceSeconds(365 * DAY);
    const calls = vi.spyOn(never.storage.jobs, 'purgeDeletedChildren');
    expect(await never.run()).toMatchObject({ purged: 0 });
    expect(calls).not.toHaveBeenCalled();
    expect(await children(never, kept.id)).toBe(5);
  });

  it("a failing purge is logged at warn and retried by the next run; the jobs' summary still answers", async () => {
    const h = setup({ inline: false, scrubber: { purgeAfterSeconds: 0 } });
    const image = imageWithChildren(h);
    await h.remove(image.id);
    h.clock.advanceSeconds(60);
    h.storage.failNext('purgeDeletedChildren', storageUnavailable());
    expect(await h.run()).toMatchObject({ claimed: 1, done: 1, purged: 0 });
    expect(h.entries.find((e) => e.msg?.startsWith('scrubber: purging') === true)).toMatchObject({ level: 'warn' });
    expect(await h.run()).toMatchObject({ purged: 5 });
  });

  it.each([{ purgeAfterSeconds: -1 }, { purgeAfterSeconds: Infinity }, { purgeBatchSize: 0 }, { maxPurgedPerRun: 1.5 }])(
    'refuses nonsense purge options %o',
    (options) => {
      const h = setup();
      expect(() => new Scrubber(h.storage.jobs, h.worker, h.clock, undefined, options)).toThrow(RangeError);
    },
  );
});

describe('Scrubber and DataDeletionWorker: failure causes in a pino log', () => {
  it('logs a failed claim and an unrecorded result under err, with message and stack', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const h = setup({ inline: false });
    const worker = new DataDeletionWorker(h.data, h.storage.jobs, h.clock, logger);
    const scrubber = new Scrubber(h.storage.jobs, worker, h.clock, logger);
    await h.remove(h.imageWithData().id);
    h.clock.advanceSeconds(61);

    h.storage.failNext('claimDue', storageUnavailable(new Error('connect ECONNREFUSED 127.0.0.1:5432')));
    await scrubber.runOnce();
    h.storage.failNext('complete', storageFault(new Error('SQLITE_IOERR: disk I/O error')));
    await scrubber.runOnce();

    const parsed = lines.map((line) => JSON.parse(line) as { msg: string; err?: { message?: string; stack?: string } });
    const errOf = (msg: string) => parsed.find((l) => l.msg === msg)?.err;
    expect(errOf('scrubber run stopped: could not claim jobs')?.message).toBe('connect ECONNREFUSED 127.0.0.1:5432');
    expect(errOf('could not record a data-deletion result; the lease will bring the job back')?.message).toBe(
      'SQLITE_IOERR: disk I/O error',
    );
    expect(errOf('could not record a data-deletion result; the lease will bring the job back')?.stack).toContain('SQLITE_IOERR');
    expect(parsed.some((l) => 'cause' in l)).toBe(false);
  });
});
