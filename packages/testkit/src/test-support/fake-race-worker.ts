// A race worker over a store that holds no images, for testing the race machinery itself (not any adapter).
import { errAsync, okAsync } from 'neverthrow';
import { runRaceWorker, type RaceWorkerConfig } from '../process/index.js';

export interface FakeRaceConfig extends RaceWorkerConfig {
  /** The ids the store lists, in its own order (well-formed UUIDs, so DeleteImage gets as far as the store). */
  readonly imageIds: readonly string[];
  /** Open fails with this message. */
  readonly failOpen?: string;
  /** What `openFresh` reports as applied. */
  readonly applies?: readonly number[];
}

runRaceWorker<FakeRaceConfig>({
  openFresh: (config) => config.applies ?? [],
  open(config) {
    if (config.failOpen !== undefined) throw new Error(config.failOpen);
    return {
      // Every image is already gone: a delete answers ImageNotFound, a protect `gone`; every id is taken: a create is a Conflict.
      store: {
        findById: () => okAsync(null),
        deleteImage: () => okAsync({ kind: 'NotFound' } as const),
        restoreImage: () => okAsync({ kind: 'NotFound' } as const),
        updateImage: () => okAsync(null),
        createImage: () => errAsync({ kind: 'Conflict' } as const),
      },
      imageIds: config.imageIds,
      counters: () => ({ opened: 1 }),
      close() {},
    };
  },
});
