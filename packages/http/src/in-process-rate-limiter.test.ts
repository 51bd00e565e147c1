// The in-process limiter: a window per key, exact retry times, bounded memory; and the `<count>/<seconds>` parser.
import { describe, expect, it } from 'vitest';
import { InProcessRateLimiter } from './in-process-rate-limiter.js';
import { parseRateLimit } from './parse-rate-limit.js';

const at = (seconds: number) => new Date(Date.UTC(2025, 0, 1) + seconds * 1000);

describe('InProcessRateLimiter', () => {
  it('allows `limit` requests per window from the first one, then says when to come back', async () => {
    const limiter = new InProcessRateLimiter({ limit: 2, windowSeconds: 60 });
    expect((await limiter.consume('k', at(0)))._unsafeUnwrap()).toEqual({ allowed: true });
    expect((await limiter.consume('k', at(30)))._unsafeUnwrap()).toEqual({ allowed: true });
    expect((await limiter.consume('k', at(30.5)))._unsafeUnwrap()).toEqual({ allowed: false, retryAfterSeconds: 30, retryAt: at(60) });
    expect((await limiter.consume('k', at(59.9)))._unsafeUnwrap()).toEqual({ allowed: false, retryAfterSeconds: 1, retryAt: at(60) });
    expect((await limiter.consume('k', at(60)))._unsafeUnwrap()).toEqual({ allowed: true });
  });

  it('keeps keys apart', async () => {
    const limiter = new InProcessRateLimiter({ limit: 1, windowSeconds: 10 });
    expect((await limiter.consume('a', at(0)))._unsafeUnwrap().allowed).toBe(true);
    expect((await limiter.consume('b', at(0)))._unsafeUnwrap().allowed).toBe(true);
    expect((await limiter.consume('a', at(1)))._unsafeUnwrap().allowed).toBe(false);
  });

  it('never asks for more than one window when the clock goes backwards', async () => {
    const limiter = new InProcessRateLimiter({ limit: 1, windowSeconds: 10 });
    await limiter.consume('k', at(100));
    const decision = (await limiter.consume('k', at(0)))._unsafeUnwrap();
    expect(decision).toMatchObject({ allowed: false, retryAfterSeconds: 10 });
  });

  it('forgets closed windows and caps the keys it tracks', async () => {
    const limiter = new InProcessRateLimiter({ limit: 1, windowSeconds: 10, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) await limiter.consume(`key-${i}`, at(0));
    expect(limiter.size).toBe(100);
    await limiter.consume('late', at(11));
    expect(limiter.size).toBe(1);
  });

  it('refuses nonsense settings', () => {
    expect(() => new InProcessRateLimiter({ limit: 0, windowSeconds: 1 })).toThrow(RangeError);
    expect(() => new InProcessRateLimiter({ limit: 1, windowSeconds: 0 })).toThrow(RangeError);
    expect(() => new InProcessRateLimiter({ limit: 1, windowSeconds: 1, maxKeys: 0 })).toThrow(RangeError);
  });
});

describe('parseRateLimit', () => {
  it('parses <count>/<seconds>', () => {
    expect(parseRateLimit('100/60')).toEqual({ limit: 100, windowSeconds: 60 });
    expect(parseRateLimit(' 5 / 1 ')).toEqual({ limit: 5, windowSeconds: 1 });
  });

  it.each(['', '100', '/60', '100/', '0/60', '100/0', '-1/60', '1.5/60', '100/60/1', 'a/b', '99999999999/1', '1/99999999'])(
    'refuses %j',
    (raw) => {
      expect(parseRateLimit(raw)).toBeNull();
    },
  );
});
