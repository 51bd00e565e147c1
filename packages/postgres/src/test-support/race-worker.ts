// A race-worker process for testkit's multi-process race: how a child reaches the test schema, on a pool of its own.
import pg from 'pg';
import { runRaceWorker } from '@image-catalog/testkit/process';
import { migrate } from '../migrations.js';
import type { PgPool } from '../pg-pool.js';
import { openPostgresStorage } from '../postgres-storage.js';
import type { PostgresRaceConfig } from './spawn-workers.js';

function poolFor(config: PostgresRaceConfig): pg.Pool {
  const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  return pool;
}

runRaceWorker<PostgresRaceConfig>({
  async openFresh(config) {
    const pool = poolFor(config);
    try {
      return (await migrate(pool, { schema: config.schema })).applied;
    } finally {
      await pool.end();
    }
  },
  async open(config) {
    const pool = poolFor(config);
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
    // A worker that cannot open the storage or read the ids must still end its pool, or its open connection keeps it alive.
    try {
      const { images, catalog } = await openPostgresStorage(counting, { schema: config.schema, quotas: config.quotas });
      const ids = await pool.query<{ id: string }>(`SELECT id FROM "${config.schema}".images ORDER BY seq`);
      return {
        store: {
          findById: (imageId) => images.findById(imageId),
          deleteImage: (request) => images.deleteImage(request),
          restoreImage: (imageId, now) => images.restoreImage(imageId, now),
          updateImage: (imageId, patch, now) => catalog.updateImage(imageId, patch, now),
          createImage: (image, now) => catalog.createImage(image, now),
        },
        imageIds: ids.rows.map((r) => r.id),
        counters: () => ({ guardedWritesLost }),
        close: () => pool.end(),
      };
    } catch (cause) {
      await pool.end();
      throw cause;
    }
  },
});
