// The assertion of the concurrent-delete proof: every worker tried every image, and each image had exactly one winner.
import { expect } from 'vitest';
import { raceFigures } from './race-figures.js';
import type { RaceWorkerResult } from './race-protocol.js';

/**
 * For workers that all ran `delete` over the same `images` images: each worker answered for
 * every image, exactly one attempt per image succeeded, and every other attempt was
 * `ImageNotFound`. Anything else (a `StorageUnavailable` under this trivial load, a second
 * winner) fails the test. Check the store itself afterwards: one event, one set of jobs per image.
 */
export function expectOneWinnerPerImage(results: readonly RaceWorkerResult[], images: number): void {
  for (const result of results) expect(Object.keys(result.outcomes)).toHaveLength(images);
  const { winners, tally } = raceFigures(results);
  expect(winners.size).toBe(images);
  expect([...winners.values()].every((n) => n === 1)).toBe(true);
  expect(tally).toEqual({ ok: images, ImageNotFound: (results.length - 1) * images });
}
