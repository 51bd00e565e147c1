// A failing data store end to end: DELETE still answers 204, transient failures are retried with backoff, permanent ones are dead-lettered loudly and requeued by `pnpm scrub --requeue-dead`.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DataStoreError, type StoredImageData, type WritableImageDataStore } from '@image-catalog/core';
import { FileImageDataStore } from '@image-catalog/filesystem';
import { MemoryDataStoreFaults } from '@image-catalog/memory';
import { err, ResultAsync } from 'neverthrow';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deleteImage,
  startInProcessService,
  type InProcessService,
  type LogEntry,
} from '../examples/express-app/src/test-support/in-process-service.js';
import { createImageWithData, getStatus, poll, readCatalog, readEventsFile } from './support/lifecycle.js';
import { runScrubProcess, serviceEnv } from './support/service-process.js';

const MEMBER = 'demo-member-token';

/** The service's own file store, with MemoryDataStoreFaults armed in front of `delete`; records when each delete was asked. */
class FaultyFileStore implements WritableImageDataStore {
  readonly faults = new MemoryDataStoreFaults();
  readonly deleteCalls: number[] = [];
  readonly #files: FileImageDataStore;

  constructor(root: string) {
    this.#files = new FileImageDataStore({ root });
  }

  write(imageId: string, data: AsyncIterable<Uint8Array>): ResultAsync<StoredImageData, DataStoreError> {
    return this.#files.write(imageId, data);
  }

  delete(url: string): ResultAsync<void, DataStoreError> {
    this.deleteCalls.push(Date.now());
    return new ResultAsync(
      this.faults.check('delete').then((injected) => (injected !== undefined ? err(injected) : this.#files.delete(url))),
    );
  }
}

function logged(logs: readonly LogEntry[], level: LogEntry['level'], message: RegExp): LogEntry[] {
  return logs.filter((entry) => entry.level === level && message.test(entry.msg ?? ''));
}

describe('data store failures (example service in process, SQLite, file store behind injected faults)', () => {
  let dataDir = '';
  let running: InProcessService | null = null;

  const start = async (store: FaultyFileStore): Promise<InProcessService> => {
    running = await startInProcessService({
      env: { IMAGE_CATALOG_DATA_DIR: dataDir, IMAGE_CATALOG_INLINE_LEASE: '1', IMAGE_CATALOG_SCRUB_INTERVAL: '1' },
      eventsFile: true,
      overrides: { dataStore: store },
    });
    return running;
  };

  afterEach(async () => {
    await running?.close();
    running = null;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 204 while the store is down, retries with backoff, and deletes the data once it recovers', { timeout: 120_000 }, async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'image-catalog-store-down-'));
    const store = new FaultyFileStore(path.join(dataDir, 'images'));
    const service = await start(store);
    const dbPath = path.join(dataDir, 'images.db');
    const id = await createImageWithData(service.api, MEMBER, new Uint8Array(2048).fill(7));
    const [location] = readCatalog(dbPath).locations.filter((l) => l.image_id === id);
    const file = fileURLToPath(location!.url);
    expect(existsSync(file)).toBe(true);

    // The inline attempt and the scrubber's first retry fail; the second retry succeeds.
    store.faults.failNext(2, 'DataStoreUnavailable');
    const res = await deleteImage(service.api, MEMBER, id);
    expect(res.status).toBe(204);
    expect(await getStatus(service.api, MEMBER, id)).toBe(404);
    const afterInline = readCatalog(dbPath);
    expect(afterInline.images.get(id)).toMatchObject({ status: 'deleted', deleted: 1 });
    expect(afterInline.jobs.filter((j) => j.image_id === id)).toEqual([
      expect.objectContaining({ state: 'queued', attempts: 1, last_error: expect.stringMatching(/DataStoreUnavailable/) }),
    ]);
    expect(existsSync(file)).toBe(true);

    const done = await poll(
      'the scrubber to delete the data after the store recovered',
      () => {
        const job = readCatalog(dbPath).jobs.find((j) => j.image_id === id);
        return job?.state === 'done' ? job : null;
      },
      { attempts: 600 },
    );
    expect(done).toMatchObject({ attempts: 2 });
    expect(existsSync(file)).toBe(false);

    // Backoff: each failure was rescheduled at least the base step (doubling) after it, and no retry came before its time.
    const retries = logged(service.logs, 'warn', /data deletion failed; will retry/).map(
      (e) => e.obj as { attempts: number; retryAt: string },
    );
    expect(retries.map((r) => r.attempts)).toEqual([1, 2]);
    expect(store.deleteCalls).toHaveLength(3);
    const [first, second, third] = store.deleteCalls as [number, number, number];
    const [retry1, retry2] = retries.map((r) => Date.parse(r.retryAt)) as [number, number];
    expect(retry1 - first).toBeGreaterThanOrEqual(500);
    expect(retry2 - second).toBeGreaterThanOrEqual(1000);
    expect(second).toBeGreaterThanOrEqual(retry1);
    expect(third).toBeGreaterThanOrEqual(retry2);

    // The event went out regardless of the data, exactly once.
    const eventsFile = service.config.eventsFile!;
    await poll('the image.delete event', () => (readEventsFile(eventsFile).byImage.get(id)?.size === 1 ? true : null));
    expect(logged(service.logs, 'error', /./)).toEqual([]);
  });

  it(
    'dead-letters a permanent failure loudly; `scrub` exits 3 until `scrub --requeue-dead` deletes the data',
    { timeout: 180_000 },
    async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'image-catalog-store-broken-'));
      const store = new FaultyFileStore(path.join(dataDir, 'images'));
      const service = await start(store);
      const dbPath = path.join(dataDir, 'images.db');
      const id = await createImageWithData(service.api, MEMBER, new Uint8Array(1024).fill(3));
      const file = fileURLToPath(readCatalog(dbPath).locations.find((l) => l.image_id === id)!.url);

      const broken = store.faults.inject({
        error: { kind: 'DataStoreRejected', message: 'the store refuses deletes (misconfigured bucket policy)' },
        times: Infinity,
      });
      expect((await deleteImage(service.api, MEMBER, id)).status).toBe(204);
      expect(await getStatus(service.api, MEMBER, id)).toBe(404);
      const job = readCatalog(dbPath).jobs.find((j) => j.image_id === id);
      expect(job).toMatchObject({ state: 'dead', attempts: 1, last_error: expect.stringMatching(/DataStoreRejected/) });
      expect(existsSync(file)).toBe(true);
      expect(logged(service.logs, 'error', /dead-lettered/)).toEqual([
        expect.objectContaining({ obj: expect.objectContaining({ imageId: id, jobId: job!.id }) }),
      ]);
      expect(await service.service.catalog.scrubber.counts()).toMatchObject({ value: { dead: 1 } });

      // The event is not held back by the data.
      await poll('the image.delete event', () => (readEventsFile(service.config.eventsFile!).byImage.get(id)?.size === 1 ? true : null));
      await service.close();
      running = null;

      // With the service stopped: the one-shot scrubber reports the dead job and exits 3, on every run.
      const env = serviceEnv(dataDir);
      for (let run = 0; run < 2; run++) {
        const scrub = await runScrubProcess(env);
        expect(scrub.code, scrub.output).toBe(3);
        expect(scrub.output).toContain('"dead":1');
        expect(scrub.output).toMatch(/"level":50[^\n]*1 dead-lettered data-deletion job\(s\)[^\n]*--requeue-dead/);
      }
      expect(existsSync(file)).toBe(true);

      // A service started while a job is dead says so at start, at error level.
      const restartedBroken = await start(store);
      await poll('the dead-job error at start', () =>
        logged(restartedBroken.logs, 'error', /1 dead-lettered data-deletion job\(s\).*--requeue-dead/).length === 1 ? true : null,
      );
      await restartedBroken.close();
      running = null;

      // The operator fixes the store, then requeues: the data is deleted and nothing is dead any more.
      broken.remove();
      const requeue = await runScrubProcess(env, ['--requeue-dead']);
      expect(requeue.code, requeue.output).toBe(0);
      expect(requeue.output).toContain('"requeued":1');
      expect(existsSync(file)).toBe(false);
      const after = readCatalog(dbPath);
      expect(after.jobs.find((j) => j.image_id === id)).toMatchObject({ state: 'done' });
      expect(after.images.get(id)).toMatchObject({ status: 'deleted' });
      expect((await runScrubProcess(env)).code).toBe(0);

      // A restarted service is quiet about it too, and the image stays gone.
      const restarted = await start(new FaultyFileStore(path.join(dataDir, 'images')));
      expect(await getStatus(restarted.api, MEMBER, id)).toBe(404);
      expect(logged(restarted.logs, 'error', /dead-lettered/)).toEqual([]);
    },
  );
});
