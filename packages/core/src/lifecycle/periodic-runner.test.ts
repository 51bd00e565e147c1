import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicRunner } from './periodic-runner.js';

/** A task whose runs the test finishes by hand. */
function controllableTask() {
  const pending: (() => void)[] = [];
  let started = 0;
  const task = () => {
    started++;
    return new Promise<number>((resolve) => pending.push(() => resolve(started)));
  };
  return {
    task,
    get started() {
      return started;
    },
    finishAll() {
      for (const finish of pending.splice(0)) finish();
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('PeriodicRunner', () => {
  it('runs at start, then intervalMs after each run ends, never overlapping', async () => {
    const t = controllableTask();
    const runner = new PeriodicRunner(t.task, () => {});
    runner.start({ intervalMs: 1_000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(t.started).toBe(1);

    // The run is slow: however long it takes, no second run starts.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.started).toBe(1);
    t.finishAll();
    await vi.advanceTimersByTimeAsync(999);
    expect(t.started).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.started).toBe(2);
    t.finishAll();
    await runner.stop();
  });

  it('joins a run in flight when asked to run now', async () => {
    const t = controllableTask();
    const runner = new PeriodicRunner(t.task, () => {});
    const a = runner.runNow();
    const b = runner.runNow();
    expect(a).toBe(b);
    t.finishAll();
    expect(await a).toBe(1);
    const c = runner.runNow();
    t.finishAll();
    expect(await c).toBe(2);
  });

  it('stop waits for the run in flight and ends the loop', async () => {
    const t = controllableTask();
    const runner = new PeriodicRunner(t.task, () => {});
    runner.start({ intervalMs: 100, initialDelayMs: 50 });
    await vi.advanceTimersByTimeAsync(49);
    expect(t.started).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.started).toBe(1);

    let stopped = false;
    const stopping = runner.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    t.finishAll();
    await stopping;
    expect(stopped).toBe(true);
    expect(runner.running).toBe(false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.started).toBe(1);
  });

  it('a stop and a start while a run is in flight leave exactly one loop', async () => {
    const t = controllableTask();
    const runner = new PeriodicRunner(t.task, () => {});
    runner.start({ intervalMs: 100 });
    await vi.advanceTimersByTimeAsync(0);
    const stopping = runner.stop();
    runner.start({ intervalMs: 100 });
    t.finishAll();
    await stopping;
    // Bounded: ten intervals, each run finished by hand.
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(100);
      t.finishAll();
    }
    // The run that was in flight, then one run per interval: a second loop would double this.
    expect(t.started).toBe(11);
    await runner.stop();
  });

  it('reports a task that rejects and keeps going', async () => {
    const defects: unknown[] = [];
    let runs = 0;
    const runner = new PeriodicRunner(
      async () => {
        runs++;
        throw new Error('defect');
      },
      (cause) => defects.push(cause),
    );
    runner.start({ intervalMs: 10 });
    await vi.advanceTimersByTimeAsync(25);
    expect(runs).toBe(3);
    expect(defects).toHaveLength(3);
    await runner.stop();
  });

  it('does not keep the process alive', () => {
    const runner = new PeriodicRunner(
      async () => undefined,
      () => {},
    );
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    runner.start({ intervalMs: 1_000 });
    const timer = setTimeoutSpy.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    void runner.stop();
  });

  it.each([0, -1, Number.NaN, Infinity])('refuses intervalMs %s', (intervalMs) => {
    expect(() =>
      new PeriodicRunner(
        async () => undefined,
        () => {},
      ).start({ intervalMs }),
    ).toThrow(RangeError);
  });
});
