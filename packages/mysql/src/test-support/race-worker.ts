// A race-worker process for testkit's multi-process race: opens the test database on a pool of its own.
import { createPool } from 'mysql2/promise';
import { runRaceWorker } from '@image-catalog/testkit/process';
import { migrate } from '../migrations.js';
import { openMysqlStorage } from '../open-mysql-storage.js';
import type { MysqlRaceConfig } from './spawn-workers.js';

const poolFor = (config: MysqlRaceConfig) => createPool({ uri: config.url, connectionLimit: config.poolSize, connectTimeout: 10_000 });

runRaceWorker<MysqlRaceConfig>({
  async openFresh(config) {
    const pool = poolFor(config);
    try {
      return (await migrate(pool)).applied;
    } finally {
      await pool.end();
    }
  },
  async open(config) {
    const pool = poolFor(config);
    try {
      const { images, catalog } = await openMysqlStorage(pool, { quotas: config.quotas });
      const [rows] = await pool.query('SELECT id FROM images ORDER BY seq');
      return {
        // The race needs the delete side and `updateImage` in one object: two port modules, one pool.
        store: {
          findById: (id) => images.findById(id),
          deleteImage: (request) => images.deleteImage(request),
          restoreImage: (id, now) => images.restoreImage(id, now),
          updateImage: (id, patch, now) => catalog.updateImage(id, patch, now),
          createImage: (image, now) => catalog.createImage(image, now),
        },
        imageIds: (rows as { id: string }[]).map((r) => r.id),
        close: () => pool.end(),
      };
    } catch (cause) {
      // A worker that cannot open must still end its pool, or the open connection keeps it alive.
      await pool.end();
      throw cause;
    }
  },
});
