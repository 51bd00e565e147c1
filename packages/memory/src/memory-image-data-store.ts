// An in-memory image data store: `memory://<imageId>/<uuid>` locations, with fault injection for tests.
import { createHash } from 'node:crypto';
import type { DataStoreError, StoredImageData, WritableImageDataStore } from '@image-catalog/core';
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import { MemoryDataStoreFaults } from './memory-data-store-faults.js';

const SCHEME = 'memory://';
/** `memory://<encoded image id>/<object name>`: anything else is not a location of this store. */
const LOCATION = /^memory:\/\/[^/?#\s]+\/[^/?#\s]+$/;

function rejected(): DataStoreError {
  // The location is not echoed: it comes from storage and may be long or hostile.
  return { kind: 'DataStoreRejected', message: 'not a memory:// location of this store' };
}

/**
 * Keeps image data in a map. `delete` of a location that holds nothing is `ok` (already gone);
 * a location that is not `memory://<id>/<name>` is `DataStoreRejected`. Bytes are copied in and
 * out, so callers never alias stored data.
 */
export class MemoryImageDataStore implements WritableImageDataStore {
  readonly faults = new MemoryDataStoreFaults();
  readonly #blobs = new Map<string, Uint8Array>();

  /** Reads the whole stream, then stores it under a new location; a stream that throws is a `DataStoreFault`. */
  write(imageId: string, data: AsyncIterable<Uint8Array>): ResultAsync<StoredImageData, DataStoreError> {
    return new ResultAsync(this.#write(imageId, data));
  }

  async #write(imageId: string, data: AsyncIterable<Uint8Array>): Promise<Result<StoredImageData, DataStoreError>> {
    const injected = await this.faults.check('write');
    if (injected !== undefined) return err(injected);
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of data) chunks.push(Uint8Array.from(chunk));
    } catch (cause) {
      return err({ kind: 'DataStoreFault', message: 'reading the image data failed', cause });
    }
    const bytes = Buffer.concat(chunks);
    const url = this.newUrl(imageId);
    this.#blobs.set(url, new Uint8Array(bytes));
    return ok({
      url,
      size: bytes.byteLength,
      checksum: createHash('md5').update(bytes).digest('hex'),
      osHashAlgo: 'sha512',
      osHashValue: createHash('sha512').update(bytes).digest('hex'),
    });
  }

  delete(url: string): ResultAsync<void, DataStoreError> {
    return new ResultAsync(this.#delete(url));
  }

  async #delete(url: string): Promise<Result<void, DataStoreError>> {
    const injected = await this.faults.check('delete');
    if (injected !== undefined) return err(injected);
    if (typeof url !== 'string' || !LOCATION.test(url)) return err(rejected());
    this.#blobs.delete(url);
    return ok(undefined);
  }

  /** True while data is stored at `url`. */
  has(url: string): boolean {
    return this.#blobs.has(url);
  }

  /** A copy of the data at `url`, or `undefined`. */
  get(url: string): Uint8Array | undefined {
    const bytes = this.#blobs.get(url);
    return bytes === undefined ? undefined : Uint8Array.from(bytes);
  }

  /** Seeds data at a location, e.g. one an image fixture points at. Throws for a location this store would reject. */
  put(url: string, bytes: Uint8Array = new Uint8Array()): void {
    if (!LOCATION.test(url)) throw new RangeError('MemoryImageDataStore.put: expected memory://<imageId>/<name>');
    this.#blobs.set(url, Uint8Array.from(bytes));
  }

  /** A well-formed location for `imageId` (nothing is stored there until `put`). */
  newUrl(imageId: string): string {
    return `${SCHEME}${encodeURIComponent(imageId)}/${globalThis.crypto.randomUUID()}`;
  }

  /** Every location holding data, in write order. */
  urls(): string[] {
    return [...this.#blobs.keys()];
  }
}
