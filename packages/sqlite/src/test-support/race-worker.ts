// A race-worker process for testkit's multi-process race: how a child opens the shared SQLite file.
import { runRaceWorker } from '@image-catalog/testkit/process';
import { migrate } from '../migrations.js';
import { openDatabase } from '../open-database.js';
import { createSqliteStorage } from '../sqlite-storage.js';
import type { SqliteRaceConfig } from './spawn-workers.js';

runRaceWorker<SqliteRaceConfig>({
  openFresh(config) {
    // openDatabase's own steps, with migrate() called here so its report says what this process applied.
    const db = openDatabase(config.dbPath, { busyTimeoutMs: config.busyTimeoutMs, migrate: false });
    try {
      return migrate(db).applied;
    } finally {
      db.close();
    }
  },
  open(config) {
    const durable = config.groupCommit === true;
    const db = openDatabase(config.dbPath, { busyTimeoutMs: config.busyTimeoutMs, ...(durable ? { synchronous: 'FULL' as const } : {}) });
    const { images, catalog } = createSqliteStorage(db, { groupCommit: durable, quotas: config.quotas });
    return {
      store: {
        findById: (imageId) => images.findById(imageId),
        deleteImage: (request) => images.deleteImage(request),
        restoreImage: (imageId, now) => images.restoreImage(imageId, now),
        updateImage: (imageId, patch, now) => catalog.updateImage(imageId, patch, now),
        createImage: (image, now) => catalog.createImage(image, now),
      },
      imageIds: db.prepare('SELECT id FROM images ORDER BY seq').pluck().all() as string[],
      close() {
        db.close();
      },
    };
  },
});
