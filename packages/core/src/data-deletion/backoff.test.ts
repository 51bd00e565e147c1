import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  it('doubles with each failure between half and all of the exponential step', () => {
    const low = (n: number) => backoffDelayMs(n, { baseMs: 1000, random: () => 0 });
    const high = (n: number) => backoffDelayMs(n, { baseMs: 1000, random: () => 0.999999 });
    expect([low(1), low(2), low(3), low(4)]).toEqual([500, 1000, 2000, 4000]);
    expect([high(1), high(2), high(3)]).toEqual([1000, 2000, 4000]);
  });

  it('never exceeds the cap, even after very many failures', () => {
    expect(backoffDelayMs(1_000, { baseMs: 1000, maxMs: 60_000, random: () => 0.999999 })).toBeLessThanOrEqual(60_000);
    expect(Number.isFinite(backoffDelayMs(10_000))).toBe(true);
  });
});
