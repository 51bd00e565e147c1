// The rate-limit port: asynchronous so a limiter shared between processes (Redis, PostgreSQL) fits.
import type { StorageError } from '@image-catalog/core';
import type { ResultAsync } from 'neverthrow';

export type RateLimitDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** Whole seconds until a request would be allowed again (`Retry-After`). */
      readonly retryAfterSeconds: number;
      readonly retryAt: Date;
    };

export interface RateLimiter {
  /**
   * Counts one request for `key` at `now`, or refuses it. `StorageUnavailable` when the
   * limiter's store cannot be reached (503); `StorageFault` otherwise (500).
   */
  consume(key: string, now: Date): ResultAsync<RateLimitDecision, StorageError>;
}
