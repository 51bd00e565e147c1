// The multi-process race machinery on a fake store: release, visit order, reports, figures and failures.
import { describe, expect, it } from 'vitest';
import type { FakeRaceConfig } from '../test-support/fake-race-worker.js';
import { raceFigures } from './race-figures.js';
import { seededRandom, shuffled } from './seeded-order.js';
import { spawnRaceWorkers } from './spawn-race-workers.js';

const WORKER = new URL('../test-support/fake-race-worker.ts', import.meta.url);
const run = (configs: readonly FakeRaceConfig[]) => spawnRaceWorkers(WORKER, configs, { timeoutMs: 30_000 });
const IDS = [0, 1, 2, 3, 4].map((n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);

describe('seededRandom and shuffled', () => {
  it('replay the same order from the same seed, and another from another seed', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    expect(shuffled(items, seededRandom(7))).toEqual(shuffled(items, seededRandom(7)));
    expect(shuffled(items, seededRandom(7))).not.toEqual(shuffled(items, seededRandom(8)));
    expect([...shuffled(items, seededRandom(7))].sort((a, b) => a - b)).toEqual(items);
  });
});

describe('spawnRaceWorkers with runRaceWorker', () => {
  it('runs one process per config and answers their reports in config order, each visiting the images in its own order', async () => {
    const results = await run([
      { mode: 'delete', imageIds: IDS },
      { mode: 'protect', imageIds: IDS, offset: 2 },
      { mode: 'delete', imageIds: IDS, seed: 3, offset: 1 },
    ]);
    expect(new Set(results.map((r) => r.pid)).size).toBe(3);
    expect(results.map((r) => r.pid)).not.toContain(process.pid);
    // Insertion order of the outcomes is the order the worker visited the images.
    expect(Object.keys(results[0]!.outcomes)).toEqual(IDS);
    expect(Object.keys(results[1]!.outcomes)).toEqual([...IDS.slice(2), ...IDS.slice(0, 2)]);
    const reshuffled = shuffled(IDS, seededRandom(3));
    expect(Object.keys(results[2]!.outcomes)).toEqual([...reshuffled.slice(1), reshuffled[0]]);
    expect(Object.values(results[0]!.outcomes)).toEqual(Array(5).fill('ImageNotFound'));
    expect(Object.values(results[1]!.outcomes)).toEqual(Array(5).fill('gone'));

    const figures = raceFigures(results);
    // The default policy takes the single-read path: no findById, so each of the 10 refusals is the store's `NotFound`.
    expect(figures).toMatchObject({
      processes: 3,
      attempts: 15,
      tally: { ImageNotFound: 10, gone: 5 },
      decidedInStore: 10,
      counters: { opened: 3 },
    });
    expect(figures.winners.size).toBe(0);
    expect(figures.count('ok')).toBe(0);
    expect(figures.workerLoopMs).toHaveLength(3);
  }, 60_000);

  it('open mode: each process reports the versions it applied itself', async () => {
    const results = await run([
      { mode: 'open', imageIds: [], applies: [1, 2] },
      { mode: 'open', imageIds: [] },
    ]);
    expect(results.map((r) => r.migrationsApplied)).toEqual([[1, 2], []]);
    expect(results.every((r) => Object.keys(r.outcomes).length === 0)).toBe(true);
  }, 60_000);

  it('a worker that cannot open fails the run with its own error, and releases the others', async () => {
    await expect(
      run([
        { mode: 'delete', imageIds: IDS },
        { mode: 'delete', imageIds: IDS, failOpen: 'no such store: /nowhere' },
      ]),
    ).rejects.toThrow(/no such store: \/nowhere/);
  }, 60_000);
});
