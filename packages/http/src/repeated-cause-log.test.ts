// The outage log budget: one full cause per kind per interval, counts in between, and an end when the dependency answers.
import { describe, expect, it } from 'vitest';
import { RepeatedCauseLog } from './repeated-cause-log.js';

describe('RepeatedCauseLog', () => {
  it('logs the first cause, then counts repeats until the interval has passed', () => {
    const log = new RepeatedCauseLog(1_000);
    expect(log.failed('StorageUnavailable', 'storage', 0)).toEqual({ logCause: true, repeated: 0 });
    for (let t = 1; t <= 3; t++) expect(log.failed('StorageUnavailable', 'storage', t * 100)).toEqual({ logCause: false, repeated: t });
    expect(log.failed('StorageUnavailable', 'storage', 1_000)).toEqual({ logCause: true, repeated: 3 });
    expect(log.failed('StorageUnavailable', 'storage', 1_500)).toEqual({ logCause: false, repeated: 1 });
  });

  it('keeps kinds apart', () => {
    const log = new RepeatedCauseLog(1_000);
    expect(log.failed('StorageUnavailable', 'storage', 0).logCause).toBe(true);
    expect(log.failed('LimiterUnavailable', 'limiter', 1).logCause).toBe(true);
    expect(log.failed('StorageUnavailable', 'storage', 2).logCause).toBe(false);
  });

  it('ends an outage when its dependency answers, with a summary; the next failure is logged in full', () => {
    const log = new RepeatedCauseLog(60_000);
    log.failed('StorageUnavailable', 'storage', 0);
    log.failed('StorageUnavailable', 'storage', 10);
    log.failed('IdentityUnavailable', 'identity', 20);
    expect(log.answered(new Set(['identity']), 30)).toEqual([]);
    expect(log.answered(new Set(['storage']), 500)).toEqual([{ failure: 'StorageUnavailable', failures: 2, repeated: 1, durationMs: 500 }]);
    expect(log.answered(new Set(['storage']), 600)).toEqual([]);
    expect(log.failed('StorageUnavailable', 'storage', 700)).toEqual({ logCause: true, repeated: 0 });
    // Identity answered at 30: its single failure ended without a summary, and a new one is logged in full.
    expect(log.failed('IdentityUnavailable', 'identity', 800).logCause).toBe(true);
  });

  it('never ends a defect streak by an answer, only by time', () => {
    const log = new RepeatedCauseLog(1_000);
    log.failed('InternalError', null, 0);
    expect(log.answered(new Set(['identity', 'limiter', 'storage']), 10)).toEqual([]);
    expect(log.failed('InternalError', null, 20).logCause).toBe(false);
  });

  it('logs every cause with an interval of 0, and refuses a negative or non-finite one', () => {
    const log = new RepeatedCauseLog(0);
    for (let i = 0; i < 3; i++) expect(log.failed('StorageFault', 'storage', 5).logCause).toBe(true);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => new RepeatedCauseLog(bad)).toThrow(RangeError);
  });
});
