// What the parent test and its race-worker processes say to each other: configs, outcomes, results.
import type { DeleteImageFailure } from '@image-catalog/core';
import type { ImageQuotas, InvalidImageInput, QuotaExceeded } from '@image-catalog/core/authoring';

/**
 * `delete`: run `DeleteImage` over every image. `protect`: set `protected: true` on every image.
 * `open`: the opening is the race; every process creates (and migrates) the same new store at once.
 * `create`: every process creates `creates` new images of `owner`, one after another, in a store
 * opened with `quotas`: the quota race.
 */
export type RaceMode = 'delete' | 'protect' | 'open' | 'create';

/** Per image id: `ok`, `gone` (a protect found the image no longer live), or the failure kind. */
export type RaceOutcome = 'ok' | 'gone' | DeleteImageFailure['kind'] | InvalidImageInput['kind'] | QuotaExceeded['kind'] | 'Conflict';

/** What every worker gets; an adapter extends it with how to reach its store (a file, a URL). */
export interface RaceWorkerConfig {
  readonly mode: RaceMode;
  /** Visit the images shuffled with this seed, so an order can be replayed (default: store order). */
  readonly seed?: number;
  /** Start this many images into the (shuffled) list and wrap round, so workers meet an image at different moments. */
  readonly offset?: number;
  /** The quotas the worker opens its store with (the adapter passes them to its factory). */
  readonly quotas?: ImageQuotas;
  /** `create` mode: how many images this worker creates (default 1). */
  readonly creates?: number;
  /** `create` mode: the owner of the images it creates (default `race-project`). */
  readonly owner?: string;
}

/** One worker's report, as the parent receives it. */
export interface RaceWorkerResult {
  readonly pid: number;
  readonly outcomes: Readonly<Record<string, RaceOutcome>>;
  /** `open` mode: the migration versions this process applied itself (empty otherwise). */
  readonly migrationsApplied: readonly number[];
  /** Time spent in the racing loop (or opening), in milliseconds. */
  readonly elapsedMs: number;
  /** Wall-clock span of the racing loop (epoch ms), to show the processes overlapped. */
  readonly span: readonly [number, number];
  /** Repository verdicts other than `Deleted` after the use case's own check had passed: races decided inside the store. */
  readonly decidedInStore: number;
  /** Figures only this adapter can count (e.g. guarded writes that applied nothing), summed by {@link raceFigures}. */
  readonly counters: Readonly<Record<string, number>>;
}

/** Messages from a worker; the parent answers `ready` from every worker with one `go` to all. */
export type RaceWorkerMessage =
  | { readonly type: 'ready' }
  | ({ readonly type: 'result' } & Omit<RaceWorkerResult, 'pid'>)
  | { readonly type: 'error'; readonly message: string };

/** The one message the parent sends: start racing now. */
export const RACE_GO_MESSAGE = 'go';
