// PeriodicRunner.wake: runs sooner when asked, never later than the interval, coalescing wakes into one timer and one run.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicRunner } from './periodic-runner.js';

/** A task that records when each run starts (fake ms) and how many overlap; `hold` keeps runs open until `finishAll`. */
function observedTask(options: { hold?: boolean } = {}) {
  const starts: number[] = [];
  const pending: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  const task = async () => {
    starts.push(Date.now());
    active++;
    maxActive = Math.max(maxActive, active);
    if (options.hold) await new Promise<void>((resolve) => pending.push(resolve));
    active--;
  };
  return {
    task,
    starts,
    get maxActive() {
      return maxActive;
    },
    finishAll() {
      for (const finish of pending.splice(0)) finish();
    },
  };
}

let T0 = 0;
beforeEach(() => {
  // Date is faked too: the runner measures the time to a wake with Date.now().
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  T0 = Date.now();
});

afterEach(() => {
  vi.useRealTimers();
});

const since = (starts: number[]) => starts.map((at) => at - T0);

describe('PeriodicRunner.wake', () => {
  it('moves the next run earlier, never later than the interval would', async () => {
    const t = observedTask();
    const runner = new PeriodicRunner(t.task, () => {});
    runner.start({ intervalMs: 30_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    runner.wake(5_000);
    runner.wake(60_000); // later than the timer: ignored
    await vi.advanceTimersByTimeAsync(5_000);
    expect(since(t.starts)).toEqual([0, 6_000]);
    // Back to the interval after the woken run.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(since(t.starts)).toEqual([0, 6_000, 36_000]);
    await runner.stop();
  });

  it('during a run: one more run right after it, however many wakes came, and runs never overlap', async () => {
    const t = observedTask({ hold: true });
    const runner = new PeriodicRunner(t.task, () => {});
    runner.start({ intervalMs: 30_000 });
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 100; i++) runner.wake();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.starts).toHaveLength(1);
    t.finishAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(since(t.starts)).toEqual([0, 2_000]);
    t.finishAll();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(t.starts).toHaveLength(2);
    expect(t.maxActive).toBe(1);
    await runner.stop();
  });

  it('a storm of wakes arms one timer, not one each', async () => {
    const t = observedTask();
    const runner = new PeriodicRunner(t.task, () => {});
    runner.start({ intervalMs: 30_000 });
    await vi.advanceTimersByTimeAsync(10);
    const armed = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 1_000; i++) runner.wake(i % 7);
    // The first wake moved the timer to now; none of the others is earlier.
    expect(armed).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.starts).toHaveLength(2);
    await runner.stop();
  });

  it('minPauseMs spaces woken runs: a steady stream of wakes gets one run per pause', async () => {
    const t = observedTask();
    const runner = new PeriodicRunner(t.task, () => {});
    runner.start({ intervalMs: 30_000, minPauseMs: 100 });
    // A wake every 10 ms for one second.
    for (let i = 0; i < 100; i++) {
      runner.wake();
      await vi.advanceTimersByTimeAsync(10);
    }
    const gaps = since(t.starts)
      .slice(1)
      .map((at, i) => at - t.starts[i]! + T0);
    expect(t.starts.length).toBeGreaterThanOrEqual(9);
    expect(t.starts.length).toBeLessThanOrEqual(11);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
    await runner.stop();
  });

  it('a wake during a caller’s runNow still moves the loop’s timer once that run ends', async () => {
    const t = observedTask({ hold: true });
    const runner = new PeriodicRunner(t.task, () => {});
    runner.start({ intervalMs: 30_000, initialDelayMs: 30_000 });
    const manual = runner.runNow();
    runner.wake();
    await vi.advanceTimersByTimeAsync(1_000);
    t.finishAll();
    await manual;
    await vi.advanceTimersByTimeAsync(0);
    expect(since(t.starts)).toEqual([0, 1_000]);
    t.finishAll();
    await runner.stop();
  });

  it('does nothing before start or after stop', async () => {
    const t = observedTask();
    const runner = new PeriodicRunner(t.task, () => {});
    runner.wake();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.starts).toEqual([]);
    runner.start({ intervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(0);
    await runner.stop();
    runner.wake();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.starts).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a negative or non-finite minPauseMs', () => {
    expect(() =>
      new PeriodicRunner(
        async () => undefined,
        () => {},
      ).start({ intervalMs: 10, minPauseMs: -1 }),
    ).toThrow(RangeError);
    expect(() =>
      new PeriodicRunner(
        async () => undefined,
        () => {},
      ).start({ intervalMs: 10, minPauseMs: Number.NaN }),
    ).toThrow(RangeError);
  });
});
