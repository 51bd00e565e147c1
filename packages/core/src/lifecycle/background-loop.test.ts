// drainInBatches claims until empty, capped per run, stopping where the handler says; positive integer options are checked.
import { err, ok } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { storageUnavailable } from '../ports/storage-error.js';
import { drainInBatches, positiveIntegerOption } from './background-loop.js';

function queue(items: number) {
  let left = items;
  return async (limit: number) => {
    const n = Math.min(limit, left);
    left -= n;
    return ok(Array.from({ length: n }, (_, i) => i));
  };
}

describe('drainInBatches', () => {
  it('drains in batches of at most batchSize', async () => {
    const seen: number[] = [];
    const report = await drainInBatches({
      batchSize: 2,
      maxPerRun: 10,
      claim: queue(5),
      handle: async (b) => (seen.push(b.length), 'continue' as const),
    });
    expect(report._unsafeUnwrap()).toEqual({ claimed: 5, batches: 3, stoppedBecause: 'drained' });
    expect(seen).toEqual([2, 2, 1]);
  });

  it('stops at maxPerRun, and where the handler says', async () => {
    expect(
      (await drainInBatches({ batchSize: 2, maxPerRun: 3, claim: queue(9), handle: async () => 'continue' as const }))._unsafeUnwrap(),
    ).toEqual({ claimed: 3, batches: 2, stoppedBecause: 'max-per-run' });
    expect(
      (await drainInBatches({ batchSize: 2, maxPerRun: 9, claim: queue(9), handle: async () => 'stuck' as const }))._unsafeUnwrap(),
    ).toEqual({ claimed: 2, batches: 1, stoppedBecause: 'stuck' });
  });

  it('ends with the claim error and what was done before it', async () => {
    let calls = 0;
    const claim = async (limit: number) => (calls++ === 0 ? ok(Array.from({ length: limit }, (_, i) => i)) : err(storageUnavailable()));
    const result = await drainInBatches({ batchSize: 2, maxPerRun: 9, claim, handle: async () => 'continue' as const });
    expect(result._unsafeUnwrapErr()).toMatchObject({
      error: { kind: 'StorageUnavailable' },
      report: { claimed: 2, batches: 1, stoppedBecause: 'drained' },
    });
  });
});

describe('positiveIntegerOption', () => {
  it('takes the fallback, accepts integers >= 1, and names the owner otherwise', () => {
    expect(positiveIntegerOption('X', 'n', undefined, 3)).toBe(3);
    expect(positiveIntegerOption('X', 'n', 7, 3)).toBe(7);
    expect(() => positiveIntegerOption('X', 'n', 0, 3)).toThrow('X: n must be an integer >= 1');
    expect(() => positiveIntegerOption('X', 'n', 1.5, 3)).toThrow(RangeError);
  });
});
