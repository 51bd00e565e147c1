// The body of a race-worker process: open the adapter's store, wait for "go", run the race, report outcomes.
import { DeleteImage, defaultDeletePolicy, systemClock, type ImageRepository, type Principal } from '@image-catalog/core';
import { type ImageCatalog } from '@image-catalog/core/authoring';
import { RACE_GO_MESSAGE, type RaceOutcome, type RaceWorkerConfig, type RaceWorkerMessage } from './race-protocol.js';
import { seededRandom, shuffled } from './seeded-order.js';

/** A store opened inside a worker process for the `delete`, `protect` and `create` modes. */
export interface RaceStore {
  /** Deletes go through `DeleteImage` on this; protects call its `updateImage`, creates its `createImage`. */
  readonly store: ImageRepository & Pick<ImageCatalog, 'updateImage' | 'createImage'>;
  /** Every image id, in the store's own (insertion) order. */
  readonly imageIds: readonly string[];
  /** Adapter-only figures, read once after the race. */
  counters?(): Readonly<Record<string, number>>;
  close(): void | Promise<void>;
}

/** How a child process reaches the adapter's store: the only adapter-specific part of the race. */
export interface RaceWorkerAdapter<C extends RaceWorkerConfig> {
  /** `open` mode, run after "go": create and migrate the store as a starting process would; answers the versions this process applied. */
  openFresh(config: C): readonly number[] | Promise<readonly number[]>;
  /** `delete`, `protect` and `create` modes, run before "ready": open the store the parent filled, with `config.quotas`. */
  open(config: C): RaceStore | Promise<RaceStore>;
}

// Deletes are made by an admin, so only races (never the policy) decide who wins.
const ADMIN: Principal = { userId: 'race-admin', projectId: 'admin-project', roles: ['admin'] };

function send(message: RaceWorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) reject(new Error('a race worker must be started with an IPC channel (see spawnRaceWorkers)'));
    else process.send(message, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

/** Says "ready" and resolves on the parent's "go". */
async function readySetGo(): Promise<void> {
  const go = new Promise<void>((resolve) => process.on('message', (m) => m === RACE_GO_MESSAGE && resolve()));
  await send({ type: 'ready' });
  await go;
}

/** The images in the order this worker visits them: shuffled by `seed`, then rotated by `offset`. */
function visitOrder(ids: readonly string[], config: RaceWorkerConfig): string[] {
  const ordered = config.seed === undefined ? [...ids] : shuffled(ids, seededRandom(config.seed));
  const offset = ordered.length === 0 ? 0 : (config.offset ?? 0) % ordered.length;
  return [...ordered.slice(offset), ...ordered.slice(0, offset)];
}

async function race<C extends RaceWorkerConfig>(adapter: RaceWorkerAdapter<C>, config: C): Promise<void> {
  if (config.mode === 'open') {
    await readySetGo();
    const started = performance.now();
    const spanStart = Date.now();
    const applied = await adapter.openFresh(config);
    const elapsedMs = performance.now() - started;
    await send({
      type: 'result',
      outcomes: {},
      migrationsApplied: applied,
      elapsedMs,
      span: [spanStart, Date.now()],
      decidedInStore: 0,
      counters: {},
    });
    return;
  }

  const opened = await adapter.open(config);
  try {
    const { store } = opened;
    let decidedInStore = 0;
    // Counts the repository's own verdicts, to show the conditional commit (not the pre-check) settled races.
    const repository: ImageRepository = {
      findById: (id) => store.findById(id),
      restoreImage: (id, now) => store.restoreImage(id, now),
      deleteImage: (request) =>
        store.deleteImage(request).map((outcome) => {
          if (outcome.kind !== 'Deleted') decidedInStore += 1;
          return outcome;
        }),
    };
    const deleteImage = new DeleteImage(repository, defaultDeletePolicy, systemClock, null);
    const ids = visitOrder(opened.imageIds, config);
    const outcomes: Record<string, RaceOutcome> = {};
    await readySetGo();

    const started = performance.now();
    const spanStart = Date.now();
    // `create` makes new images instead of visiting the stored ones.
    const creates = config.mode === 'create' ? Array.from({ length: config.creates ?? 1 }, () => globalThis.crypto.randomUUID()) : [];
    for (const imageId of creates) {
      const result = await store.createImage({ id: imageId, owner: config.owner ?? 'race-project' }, new Date());
      outcomes[imageId] = result.isOk() ? 'ok' : result.error.kind;
    }
    for (const imageId of config.mode === 'create' ? [] : ids) {
      if (config.mode === 'delete') {
        const result = await deleteImage.execute({ imageId, principal: ADMIN });
        outcomes[imageId] = result.isOk() ? 'ok' : result.error.kind;
      } else {
        const result = await store.updateImage(imageId, { protected: true }, new Date());
        outcomes[imageId] = result.isErr() ? result.error.kind : result.value === null ? 'gone' : 'ok';
      }
    }
    const elapsedMs = performance.now() - started;
    const span: [number, number] = [spanStart, Date.now()];
    await send({ type: 'result', outcomes, migrationsApplied: [], elapsedMs, span, decidedInStore, counters: opened.counters?.() ?? {} });
  } finally {
    await opened.close();
  }
}

/**
 * Call once at the top of an adapter's worker module. Reads the config the parent passed (see
 * `spawnRaceWorkers`), runs the race and reports; a failure is reported with its stack and the
 * process exits non-zero.
 */
export function runRaceWorker<C extends RaceWorkerConfig>(adapter: RaceWorkerAdapter<C>): void {
  const run = async () => race(adapter, JSON.parse(process.argv[2] ?? 'null') as C);
  run().then(
    () => process.disconnect?.(),
    async (cause: unknown) => {
      await send({ type: 'error', message: cause instanceof Error ? (cause.stack ?? cause.message) : String(cause) }).catch(() => {});
      process.exitCode = 1;
      process.disconnect?.();
    },
  );
}
