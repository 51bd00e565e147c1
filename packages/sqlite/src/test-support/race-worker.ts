// A child process for the multi-process tests: opens the shared file, waits for "go", races, reports.
import { systemClock, type DeleteImageFailure, type ImageRepository } from '@image-catalog/core';
import { migrate } from '../migrations.js';
import { openDatabase } from '../open-database.js';
import { SqliteImageStore } from '../sqlite-image-store.js';
import { admin, deleteImageUseCase, seededRandom, shuffled } from './fixtures.js';

export type WorkerMode = 'delete' | 'protect' | 'open';

export interface WorkerConfig {
  readonly mode: WorkerMode;
  readonly dbPath: string;
  readonly seed: number;
  readonly busyTimeoutMs: number;
}

/** Per image id: `ok`, or the failure kind the use case (or `updateImage`) answered. */
export type WorkerOutcome = 'ok' | 'gone' | DeleteImageFailure['kind'];

export type WorkerMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'result';
      readonly outcomes: Record<string, WorkerOutcome>;
      readonly migrationsApplied: readonly number[];
      readonly elapsedMs: number;
      /** Wall-clock span of the racing loop (epoch ms), to show the processes overlapped. */
      readonly span: readonly [number, number];
      /** Deletes whose pre-check saw a live image but whose transaction found it gone or protected: races decided at commit. */
      readonly decidedAtCommit: number;
    }
  | { readonly type: 'error'; readonly message: string };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

function waitForGo(): Promise<void> {
  return new Promise((resolve) => process.once('message', () => resolve()));
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as WorkerConfig;
  const outcomes: Record<string, WorkerOutcome> = {};

  if (config.mode === 'open') {
    // Opening is the race here: every process creates and migrates the same new file at once.
    const go = waitForGo();
    await send({ type: 'ready' });
    await go;
    const started = performance.now();
    const spanStart = Date.now();
    // openDatabase's own steps, with migrate() called here so its report says what this process applied.
    const db = openDatabase(config.dbPath, { busyTimeoutMs: config.busyTimeoutMs, migrate: false });
    const { applied } = migrate(db);
    db.close();
    await send({ type: 'result', outcomes, migrationsApplied: applied, elapsedMs: performance.now() - started, span: [spanStart, Date.now()], decidedAtCommit: 0 });
    return;
  }

  const db = openDatabase(config.dbPath, { busyTimeoutMs: config.busyTimeoutMs });
  const store = new SqliteImageStore(db);
  const ids = shuffled(db.prepare('SELECT id FROM images ORDER BY seq').pluck().all() as string[], seededRandom(config.seed));
  let decidedAtCommit = 0;
  // Counts the transaction's own verdicts, to show the conditional commit (not the pre-check) settled races.
  const repository: ImageRepository = {
    findById: (id) => store.findById(id),
    restoreImage: (id, now) => store.restoreImage(id, now),
    deleteImage: (request) =>
      store.deleteImage(request).map((outcome) => {
        if (outcome.kind !== 'Deleted') decidedAtCommit += 1;
        return outcome;
      }),
  };
  const deleteImage = deleteImageUseCase(repository, systemClock);
  const go = waitForGo();
  await send({ type: 'ready' });
  await go;

  const started = performance.now();
  const spanStart = Date.now();
  for (const imageId of ids) {
    if (config.mode === 'delete') {
      const result = await deleteImage.execute({ imageId, principal: admin });
      outcomes[imageId] = result.isOk() ? 'ok' : result.error.kind;
    } else {
      const result = await store.updateImage(imageId, { protected: true }, new Date());
      outcomes[imageId] = result.isErr() ? result.error.kind : result.value === null ? 'gone' : 'ok';
    }
  }
  const elapsedMs = performance.now() - started;
  db.close();
  await send({ type: 'result', outcomes, migrationsApplied: [], elapsedMs, span: [spanStart, Date.now()], decidedAtCommit });
}

main().then(
  () => process.disconnect?.(),
  async (cause: unknown) => {
    await send({ type: 'error', message: cause instanceof Error ? (cause.stack ?? cause.message) : String(cause) }).catch(() => {});
    process.exitCode = 1;
    process.disconnect?.();
  },
);
