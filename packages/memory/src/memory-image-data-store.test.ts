// Unit tests of the memory data store's own helpers and fault injection (the contract suite covers the port).
import { silentLogger } from '@image-catalog/core';
import { DataDeletionWorker } from '@image-catalog/core/workers';
import { deleteImageRequest, expectErr, expectOk, fixedClock, imageFixture, secondsAfter, TEST_EPOCH } from '@image-catalog/testkit';
import { describe, expect, it } from 'vitest';
import { MemoryImageDataStore } from './memory-image-data-store.js';
import { createMemoryStorage } from './memory-storage.js';

async function* bytes(text: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(text);
}

describe('MemoryImageDataStore', () => {
  it('names locations memory://<imageId>/<uuid> and lists them', async () => {
    const store = new MemoryImageDataStore();
    const id = globalThis.crypto.randomUUID();
    const written = await expectOk(store.write(id, bytes('abc')));
    expect(written.url).toMatch(new RegExp(`^memory://${id}/[0-9a-f-]{36}$`));
    expect(store.urls()).toEqual([written.url]);
    expect(new TextDecoder().decode(store.get(written.url))).toBe('abc');
  });

  it('put seeds data where a fixture points, copying the bytes in and out', () => {
    const store = new MemoryImageDataStore();
    const url = store.newUrl('image-1');
    const data = new Uint8Array([1, 2, 3]);
    store.put(url, data);
    data[0] = 9;
    const out = store.get(url)!;
    out[1] = 9;
    expect([...store.get(url)!]).toEqual([1, 2, 3]);
    expect(store.has(url)).toBe(true);
    expect(() => store.put('file:///etc/passwd', data)).toThrow(RangeError);
  });

  it.each(['DataStoreUnavailable', 'DataStoreFault', 'DataStoreRejected'] as const)(
    'failNext makes the next deletes fail with %s, then deletes again',
    async (kind) => {
      const store = new MemoryImageDataStore();
      const url = store.newUrl('image-1');
      store.put(url);
      const fault = store.faults.failNext(2, kind);
      expect((await expectErr(store.delete(url))).kind).toBe(kind);
      expect((await expectErr(store.delete(url))).kind).toBe(kind);
      expect(store.has(url)).toBe(true);
      expect(fault.fired).toBe(2);
      await expectOk(store.delete(url));
      expect(store.has(url)).toBe(false);
    },
  );

  it('failAlways fails every delete until cleared; a full error object is answered as given', async () => {
    const store = new MemoryImageDataStore();
    const url = store.newUrl('image-1');
    store.faults.failAlways('DataStoreFault');
    for (let i = 0; i < 5; i++) await expectErr(store.delete(url));
    store.faults.clear();
    await expectOk(store.delete(url));

    store.faults.inject({ error: { kind: 'DataStoreUnavailable', message: 'bucket offline' } });
    expect(await expectErr(store.delete(url))).toEqual({ kind: 'DataStoreUnavailable', message: 'bucket offline' });
  });

  it('write faults fail uploads without storing anything', async () => {
    const store = new MemoryImageDataStore();
    store.faults.failNext(1, 'DataStoreUnavailable', 'write');
    expect((await expectErr(store.write('image-1', bytes('x')))).kind).toBe('DataStoreUnavailable');
    expect(store.urls()).toEqual([]);
    await expectOk(store.delete(store.newUrl('image-1')));
  });

  it('hang holds deletes until released; they then complete', async () => {
    const store = new MemoryImageDataStore();
    const url = store.newUrl('image-1');
    store.put(url);
    const hang = store.faults.hang();
    let settled = false;
    const pending = (async () => {
      const result = await store.delete(url);
      settled = true;
      return result;
    })();
    await hang.reached();
    expect(hang.waiting).toBe(1);
    expect(settled).toBe(false);
    expect(store.has(url)).toBe(true);
    hang.release();
    expect((await pending).isOk()).toBe(true);
    expect(store.has(url)).toBe(false);
    expect(hang.waiting).toBe(0);
    await expectOk(store.delete(url));
  });

  it('a hung store makes the worker abandon the job to its lease, leaving it queued', async () => {
    const storage = createMemoryStorage();
    const data = new MemoryImageDataStore();
    const url = data.newUrl('x');
    data.put(url);
    const image = await expectOk(storage.catalog.createImage(imageFixture({ locations: [{ url }] }), TEST_EPOCH));
    const outcome = await expectOk(storage.images.deleteImage(deleteImageRequest(image, secondsAfter(TEST_EPOCH, 1))));
    if (outcome.kind !== 'Deleted') expect.fail(outcome.kind);
    const hang = data.faults.hang();
    const worker = new DataDeletionWorker(data, storage.jobs, fixedClock(), silentLogger, { perJobTimeoutMs: 1 });
    const summary = await expectOk(worker.run(outcome.jobs));
    expect(summary).toMatchObject({ abandoned: 1, done: 0 });
    expect((await expectOk(storage.jobs.listJobs({ imageId: image.id })))[0]).toMatchObject({ state: 'queued', attempts: 0 });
    hang.release();
  });

  it('clear() releases every hang', async () => {
    const store = new MemoryImageDataStore();
    const hang = store.faults.hang();
    const pending = store.delete(store.newUrl('image-1'));
    await hang.reached();
    store.faults.clear();
    expect((await pending).isOk()).toBe(true);
  });
});
