// withTimeout answers with the call's value, a timeout, or the defect it threw, and never rejects.
import { describe, expect, it } from 'vitest';
import { withTimeout } from './with-timeout.js';

describe('withTimeout', () => {
  it('answers the value when the call settles in time', async () => {
    expect(await withTimeout(() => Promise.resolve(42), 1_000)).toEqual({ kind: 'answered', value: 42 });
  });

  it('answers timedOut when the call never settles', async () => {
    expect(await withTimeout(() => new Promise<never>(() => undefined), 5)).toEqual({ kind: 'timedOut' });
  });

  it('answers threw, with the cause, for a call that throws synchronously or rejects', async () => {
    const boom = new Error('boom');
    expect(
      await withTimeout(() => {
        throw boom;
      }, 1_000),
    ).toEqual({ kind: 'threw', cause: boom });
    expect(await withTimeout(() => Promise.reject(boom), 1_000)).toEqual({ kind: 'threw', cause: boom });
  });
});
