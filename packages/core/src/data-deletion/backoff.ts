// Exponential backoff with full jitter, for data-deletion and event-delivery retries.

export interface BackoffOptions {
  /** Delay after the first failure, in milliseconds (default 1 000). */
  readonly baseMs?: number;
  /** Upper bound of any delay, in milliseconds (default 15 minutes). */
  readonly maxMs?: number;
  /** Source of randomness in [0, 1); injectable so tests are deterministic. */
  readonly random?: () => number;
}

/**
 * Delay before attempt `attempts + 1`, given `attempts` failures so far (>= 1):
 * half of `base * 2^(attempts-1)` fixed, the other half random ("equal jitter"), capped at `max`.
 */
export function backoffDelayMs(attempts: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1_000;
  const max = options.maxMs ?? 15 * 60_000;
  const random = options.random ?? Math.random;
  const exp = Math.min(max, base * 2 ** Math.max(0, Math.min(attempts - 1, 40)));
  return Math.round(exp / 2 + random() * (exp / 2));
}
