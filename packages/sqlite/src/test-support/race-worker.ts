// A race-worker process for testkit's multi-process race: how a child opens the shared SQLite file.
import { runRaceWorker } from '@image-catalog/testkit/process';
import { migrate } from '../migrations.js';
import { openDatabase } from '../open-database.js';
import { SqliteImageStore } from '../sqlite-image-store.js';
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
    return {
      store: new SqliteImageStore(db, { groupCommit: durable }),
      imageIds: db.prepare('SELECT id FROM images ORDER BY seq').pluck().all() as string[],
      close() {
        db.close();
      },
    };
  },
});
