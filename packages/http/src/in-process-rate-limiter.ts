// The default RateLimiter: a fixed window per key, in this process's memory, with bounded size.
import type { StorageError } from '@image-catalog/core';
import { okAsync, type ResultAsync } from 'neverthrow';
import type { RateLimitSpec } from './parse-rate-limit.js';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.port.js';

export interface InProcessRateLimiterOptions extends RateLimitSpec {
  /**
   * Keys tracked at most (default 100 000). Past it the oldest windows are dropped, which lets
   * those keys start afresh: memory stays bounded even when many projects call at once.
   */
  readonly maxKeys?: number;
}

interface Window {
  readonly startMs: number;
  count: number;
}

/**
 * At most `limit` requests per key in a window of `windowSeconds` that opens with the key's
 * first request; a refused request is not counted and learns exactly when the window closes.
 * Good for one process; several processes need a shared store behind the same port.
 */
export class InProcessRateLimiter implements RateLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  /** Insertion order is window-start order (a new window re-inserts its key), so expiry scans from the front. */
  readonly #windows = new Map<string, Window>();

  constructor(options: InProcessRateLimiterOptions) {
    const { limit, windowSeconds, maxKeys = 100_000 } = options;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('InProcessRateLimiter: limit must be a whole number >= 1');
    if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) throw new RangeError('InProcessRateLimiter: windowSeconds must be > 0');
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('InProcessRateLimiter: maxKeys must be a whole number >= 1');
    this.#limit = limit;
    this.#windowMs = windowSeconds * 1000;
    this.#maxKeys = maxKeys;
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.#windows.size;
  }

  consume(key: string, now: Date): ResultAsync<RateLimitDecision, StorageError> {
    const nowMs = now.getTime();
    this.#evict(nowMs);
    let window = this.#windows.get(key);
    if (window === undefined || nowMs >= window.startMs + this.#windowMs) {
      this.#windows.delete(key);
      window = { startMs: nowMs, count: 0 };
      this.#windows.set(key, window);
      this.#evict(nowMs);
    }
    if (window.count < this.#limit) {
      window.count += 1;
      return okAsync({ allowed: true });
    }
    const retryAtMs = window.startMs + this.#windowMs;
    // A clock that went backwards must not ask for more than one window's wait.
    const waitMs = Math.min(Math.max(retryAtMs - nowMs, 0), this.#windowMs);
    return okAsync({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), retryAt: new Date(nowMs + waitMs) });
  }

  /** Drops closed windows from the front, then the oldest open ones beyond `maxKeys`. */
  #evict(nowMs: number): void {
    for (const [key, window] of this.#windows) {
      if (nowMs < window.startMs + this.#windowMs && this.#windows.size <= this.#maxKeys) break;
      this.#windows.delete(key);
    }
  }
}
