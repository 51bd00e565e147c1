// The contract of WritableImageDataStore every data-store adapter must pass: write, digests, idempotent delete, refusals.
import { createHash } from 'node:crypto';
import type { WritableImageDataStore } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { expectErr, expectOk } from './expect-result.js';
import { useHarness } from './use-harness.js';

export interface DataStoreHarness {
  readonly store: WritableImageDataStore;
  /** Whether data is stored at `url`, looked up behind the store's back (e.g. the file exists). */
  exists(url: string): boolean | Promise<boolean>;
  /** A well-formed location of this store for `imageId` that holds no data. */
  missingUrl(imageId: string): string;
  /** Locations the store must refuse with `DataStoreRejected` (default: other schemes and non-urls). */
  readonly foreignUrls?: readonly string[];
  close(): Promise<void>;
}

export type DataStoreHarnessFactory = () => Promise<DataStoreHarness> | DataStoreHarness;

const DEFAULT_FOREIGN_URLS = ['https://data.invalid/images/1', 'fixture://images/1/0', 'not a url', ''];

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

async function* brokenStream(): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode('partial');
  throw new Error('client went away');
}

const digest = (algorithm: string, text: string) => createHash(algorithm).update(text).digest('hex');

/** Registers the WritableImageDataStore contract for a data-store adapter; `factory` gives an empty store per test. */
export function describeImageDataStoreContract(name: string, factory: DataStoreHarnessFactory): void {
  describe(`${name}: ImageDataStore contract`, () => {
    const h = useHarness(factory);
    const imageId = () => globalThis.crypto.randomUUID();

    it('write stores the whole stream and answers its location, size, MD5 checksum and SHA-512', async () => {
      const written = await expectOk(h().store.write(imageId(), chunks('hello ', 'image ', 'data')));
      expect(written).toEqual({
        url: expect.any(String),
        size: 16,
        checksum: digest('md5', 'hello image data'),
        osHashAlgo: 'sha512',
        osHashValue: digest('sha512', 'hello image data'),
      });
      expect(await h().exists(written.url)).toBe(true);
    });

    it('write of an empty stream stores zero bytes', async () => {
      const written = await expectOk(h().store.write(imageId(), chunks()));
      expect(written).toMatchObject({ size: 0, checksum: 'd41d8cd98f00b204e9800998ecf8427e', osHashValue: digest('sha512', '') });
      expect(await h().exists(written.url)).toBe(true);
    });

    it('gives every write its own location', async () => {
      const id = imageId();
      const first = await expectOk(h().store.write(id, chunks('one')));
      const second = await expectOk(h().store.write(id, chunks('two')));
      expect(first.url).not.toBe(second.url);
    });

    it('a stream that fails while being read answers an error, never a rejection', async () => {
      const error = await expectErr(h().store.write(imageId(), brokenStream()));
      expect(['DataStoreFault', 'DataStoreUnavailable']).toContain(error.kind);
    });

    it('delete removes the data and leaves other data alone', async () => {
      const a = await expectOk(h().store.write(imageId(), chunks('a')));
      const b = await expectOk(h().store.write(imageId(), chunks('b')));
      await expectOk(h().store.delete(a.url));
      expect(await h().exists(a.url)).toBe(false);
      expect(await h().exists(b.url)).toBe(true);
    });

    it('deleting twice is ok: data already gone counts as deleted', async () => {
      const written = await expectOk(h().store.write(imageId(), chunks('twice')));
      await expectOk(h().store.delete(written.url));
      await expectOk(h().store.delete(written.url));
      expect(await h().exists(written.url)).toBe(false);
    });

    it('deleting a location that never held data is ok', async () => {
      await expectOk(h().store.delete(h().missingUrl(imageId())));
    });

    it('refuses locations that are not its own with DataStoreRejected, as a value', async () => {
      for (const url of h().foreignUrls ?? DEFAULT_FOREIGN_URLS) {
        const error = await expectErr(h().store.delete(url));
        expect(error.kind, url).toBe('DataStoreRejected');
        expect(error.message, url).toBeTruthy();
      }
    });
  });
}
