// Where image data lives (files, object store); the catalog only ever deletes through it.
import type { ResultAsync } from 'neverthrow';

export type DataStoreError =
  /** The store could not be reached or timed out: retry later. */
  | { readonly kind: 'DataStoreUnavailable'; readonly message: string; readonly cause?: unknown }
  /** The location is not one this store can delete (wrong scheme, outside its root). Retrying will not help. */
  | { readonly kind: 'DataStoreRejected'; readonly message: string }
  /** Any other failure. */
  | { readonly kind: 'DataStoreFault'; readonly message: string; readonly cause?: unknown };

export interface ImageDataStore {
  /** Removes the data at `url`. Data that is already gone counts as deleted (`ok`). */
  delete(url: string): ResultAsync<void, DataStoreError>;
}

/** A store that can also take data, for services that accept uploads. */
export interface WritableImageDataStore extends ImageDataStore {
  /** Writes the whole stream for `imageId`; returns its location and digests. */
  write(imageId: string, data: AsyncIterable<Uint8Array>): ResultAsync<StoredImageData, DataStoreError>;
}

export interface StoredImageData {
  readonly url: string;
  readonly size: number;
  /** MD5 hex, as Glance's `checksum`. */
  readonly checksum: string;
  readonly osHashAlgo: 'sha512';
  readonly osHashValue: string;
}
