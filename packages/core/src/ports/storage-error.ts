// The two ways a storage port can fail; the use case passes them through unchanged.

/** Storage could not be reached, or stayed locked/busy past its timeout: worth retrying. */
export interface StorageUnavailable {
  readonly kind: 'StorageUnavailable';
  readonly message: string;
  /** How long a client should wait before retrying, in whole seconds. */
  readonly retryAfterSeconds: number;
  /** The underlying error, for server-side logs only; never sent to a client. */
  readonly cause?: unknown;
}

/** Anything else unexpected: a defect or a corrupt store. */
export interface StorageFault {
  readonly kind: 'StorageFault';
  readonly message: string;
  readonly cause?: unknown;
}

export type StorageError = StorageUnavailable | StorageFault;

export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export function storageUnavailable(cause?: unknown, retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS): StorageUnavailable {
  return {
    kind: 'StorageUnavailable',
    message: 'The image catalog is temporarily unavailable. Please retry later.',
    retryAfterSeconds,
    cause,
  };
}

export function storageFault(cause?: unknown): StorageFault {
  return {
    kind: 'StorageFault',
    message: 'The server has either erred or is incapable of performing the requested operation.',
    cause,
  };
}
