// The shared rate limiter: two limiter instances on two pools enforce one limit; windows, Retry-After and cleanup.
import { describe, expect, it } from 'vitest';
import type { RateLimitDecision } from '@image-catalog/http';
import { PostgresRateLimiter } from './postgres-rate-limiter.js';
import { postgresUnreachable, skipNote } from './test-support/test-database.js';
import { useSchemaWithSecondPool } from './test-support/use-test-schema.js';

const T0 = new Date('2025-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('PostgresRateLimiter options', () => {
  it.each([
    [{ limit: 0, windowSeconds: 60 }],
    [{ limit: 1.5, windowSeconds: 60 }],
    [{ limit: 1, windowSeconds: 0 }],
    [{ limit: 1, windowSeconds: Number.NaN }],
    [{ limit: 1, windowSeconds: 60, cleanupBatch: 0 }],
    [{ limit: 1, windowSeconds: 60, schema: 'Bad-Name' }],
  ])('refuses %j with a RangeError', (options) => {
    expect(
      () => new PostgresRateLimiter({ pool: { query: async () => ({}) as never, connect: async () => ({}) as never }, ...options }),
    ).toThrow(RangeError);
  });
});

describe.skipIf(postgresUnreachable !== null)(`postgres: shared rate limiter${skipNote}`, () => {
  const db = useSchemaWithSecondPool({ secondPoolSize: 8 });

  /** Two limiters, as two server processes would have, each on its own pool. */
  function pair(limit: number, windowSeconds: number, extra: { cleanupIntervalSeconds?: number } = {}) {
    return [
      new PostgresRateLimiter({ pool: db.pool, limit, windowSeconds, schema: db.schema, ...extra }),
      new PostgresRateLimiter({ pool: db.secondPool, limit, windowSeconds, schema: db.schema, ...extra }),
    ] as const;
  }

  const key = () => `project-${globalThis.crypto.randomUUID()}`;
  const decide = async (limiter: PostgresRateLimiter, k: string, now: Date): Promise<RateLimitDecision> =>
    (await limiter.consume(k, now))._unsafeUnwrap();

  it('alternating between the two instances, the limit is shared: 5 allowed, then refused until the window closes', async () => {
    const [a, b] = pair(5, 60);
    const k = key();
    const decisions: RateLimitDecision[] = [];
    for (let i = 0; i < 8; i++) decisions.push(await decide(i % 2 === 0 ? a : b, k, at(i)));
    expect(decisions.slice(0, 5)).toEqual(Array(5).fill({ allowed: true }));
    // The window opened at T0 with the first request: the sixth, at T0+5 s, waits 55 s.
    expect(decisions[5]).toEqual({ allowed: false, retryAfterSeconds: 55, retryAt: at(60) });
    expect(decisions[7]).toEqual({ allowed: false, retryAfterSeconds: 53, retryAt: at(60) });
    expect(await decide(b, k, at(59.5))).toEqual({ allowed: false, retryAfterSeconds: 1, retryAt: at(60) });
    // A new window opens with the first request after the old one closed.
    expect(await decide(a, k, at(60))).toEqual({ allowed: true });
    for (let i = 0; i < 4; i++) expect(await decide(i % 2 === 0 ? b : a, k, at(61))).toEqual({ allowed: true });
    expect((await decide(b, k, at(62))).allowed).toBe(false);
  });

  it('40 concurrent requests on two pools for one key: exactly `limit` are allowed', async () => {
    const [a, b] = pair(7, 60);
    const k = key();
    const decisions = await Promise.all(Array.from({ length: 40 }, (_, i) => decide(i % 2 === 0 ? a : b, k, at(0))));
    const allowed = decisions.filter((d) => d.allowed).length;
    console.log(`[postgres rate limiter] two pools, 40 concurrent requests, limit 7: allowed=${allowed} refused=${40 - allowed}`);
    expect(allowed).toBe(7);
    expect(decisions.filter((d) => !d.allowed).every((d) => !d.allowed && d.retryAfterSeconds === 60)).toBe(true);
  });

  it('keys are counted separately', async () => {
    const [a, b] = pair(1, 60);
    const [k1, k2] = [key(), key()];
    expect(await decide(a, k1, at(0))).toEqual({ allowed: true });
    expect(await decide(b, k2, at(0))).toEqual({ allowed: true });
    expect((await decide(b, k1, at(1))).allowed).toBe(false);
    expect((await decide(a, k2, at(1))).allowed).toBe(false);
  });

  it('a clock behind the window start never asks for more than one window', async () => {
    const [a, b] = pair(1, 30);
    const k = key();
    expect(await decide(a, k, at(100))).toEqual({ allowed: true });
    // Another server whose clock is 50 s behind: still the same window, and the wait is capped.
    expect(await decide(b, k, at(50))).toEqual({ allowed: false, retryAfterSeconds: 30, retryAt: at(80) });
  });

  it('closed windows are cleaned up as requests come in, never the key being counted', async () => {
    const [a] = pair(3, 10, { cleanupIntervalSeconds: 0 });
    const stale = Array.from({ length: 5 }, key);
    for (const k of stale) await decide(a, k, at(0));
    const count = async () =>
      (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${db.schema}".rate_limit_windows WHERE key = ANY ($1)`, [stale]))
        .rows[0]?.n;
    expect(await count()).toBe(5);
    // Still open at T0+9 s: nothing to clean.
    await decide(a, key(), at(9));
    expect(await count()).toBe(5);
    // Closed at T0+10 s: the next request removes them; the key it counts keeps its row.
    await decide(a, stale[0]!, at(10));
    expect(await count()).toBe(1);
    expect((await db.pool.query(`SELECT hits FROM "${db.schema}".rate_limit_windows WHERE key = $1`, [stale[0]])).rows).toEqual([
      { hits: 1 },
    ]);
  });
});
