// Narrows a rate limiter to one key, so a suite can exercise the limit without throttling its other callers.
import { okAsync, type ResultAsync } from 'neverthrow';

/** The shape of `@image-catalog/http`'s `RateLimiter`, restated so the testkit needs no HTTP package. */
export type RateDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number; readonly retryAt: Date };
export interface KeyedRateLimiter<E> {
  consume(key: string, now: Date): ResultAsync<RateDecision, E>;
}

/** `limiter` for `key`; every other key is always allowed. */
export function limitOnlyKey<E>(key: string, limiter: KeyedRateLimiter<E>): KeyedRateLimiter<E> {
  return { consume: (k, now) => (k === key ? limiter.consume(k, now) : okAsync({ allowed: true })) };
}
