// A child process for the multi-process tests: its own pool, waits for "go", races the others, reports.
import pg from 'pg';
import { DeleteImage, defaultDeletePolicy, systemClock, type DeleteImageFailure, type ImageRepository, type Principal } from '@image-catalog/core';
import { migrate } from '../migrations.js';
import type { PgPool } from '../pg-pool.js';
import { PostgresImageStore } from '../postgres-image-store.js';

export type WorkerMode = 'delete' | 'protect' | 'migrate';

export interface WorkerConfig {
  readonly mode: WorkerMode;
  readonly url: string;
  readonly schema: string;
  /** Where in the shared id list this worker starts (ids are visited in a rotated order). */
  readonly offset: number;
  readonly poolSize: number;
}

/** Per image id: `ok`, `gone` (protect found it deleted), or the failure kind. */
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
      /** Repository verdicts other than Deleted after the use case's own check had passed: races decided inside the store. */
      readonly decidedInStore: number;
      /** Guarded delete statements that wrote nothing because the row had changed since it was read. */
      readonly guardedWritesLost: number;
    }
  | { readonly type: 'error'; readonly message: string };

const admin: Principal = { userId: 'race-admin', projectId: 'admin-project', roles: ['admin'] };

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

function waitForGo(): Promise<void> {
  return new Promise((resolve) => process.once('message', () => resolve()));
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as WorkerConfig;
  const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  const outcomes: Record<string, WorkerOutcome> = {};
  try {
    if (config.mode === 'migrate') {
      const go = waitForGo();
      await send({ type: 'ready' });
      await go;
      const started = performance.now();
      const spanStart = Date.now();
      const { applied } = await migrate(pool, { schema: config.schema });
      await send({ type: 'result', outcomes, migrationsApplied: applied, elapsedMs: performance.now() - started, span: [spanStart, Date.now()], decidedInStore: 0, guardedWritesLost: 0 });
      return;
    }

    let guardedWritesLost = 0;
    // Counts guarded writes that applied nothing, to show the commit-time condition settled races.
    const counting: PgPool = {
      query: async (c) => {
        const result = await pool.query(c);
        if (c.name?.endsWith('_deleteImage') && (result.rows[0] as { deleted?: number } | undefined)?.deleted === 0) guardedWritesLost += 1;
        return result as never;
      },
      connect: () => pool.connect(),
    };
    const store = new PostgresImageStore(counting, { schema: config.schema });
    const all = (await pool.query<{ id: string }>(`SELECT id FROM "${config.schema}".images ORDER BY seq`)).rows.map((r) => r.id);
    const ids = [...all.slice(config.offset), ...all.slice(0, config.offset)];
    let decidedInStore = 0;
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
    await send({ type: 'result', outcomes, migrationsApplied: [], elapsedMs, span: [spanStart, Date.now()], decidedInStore, guardedWritesLost });
  } finally {
    await pool.end();
  }
}

main().then(
  () => process.disconnect?.(),
  async (cause: unknown) => {
    await send({ type: 'error', message: cause instanceof Error ? (cause.stack ?? cause.message) : String(cause) }).catch(() => {});
    process.exitCode = 1;
    process.disconnect?.();
  },
);
