// Parses a rate limit written as `<count>/<seconds>`, e.g. `100/60`, as hosts put it in settings.

export interface RateLimitSpec {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** `null` unless both numbers are whole and at least 1 (at most 1e9 requests, one year). */
export function parseRateLimit(raw: string): RateLimitSpec | null {
  const match = /^\s*(\d{1,10})\s*\/\s*(\d{1,9})\s*$/.exec(raw);
  if (!match) return null;
  const limit = Number(match[1]);
  const windowSeconds = Number(match[2]);
  if (limit < 1 || limit > 1e9 || windowSeconds < 1 || windowSeconds > 366 * 86_400) return null;
  return { limit, windowSeconds };
}
