// Several OS processes delete the same images through DeleteImage on one SQLite file: exactly one wins each (testkit's proof).
import type BetterSqlite3 from 'better-sqlite3';
import { describeConcurrentDeleteProof } from '@image-catalog/testkit';
import { openDatabase } from './open-database.js';
import { createSqliteStorage } from './sqlite-storage.js';
import { tempDir } from './test-support/fixtures.js';
import { runWorkers } from './test-support/spawn-workers.js';

const dir = tempDir();
const dbPath = dir.file('images.db');
let db: BetterSqlite3.Database | undefined;
const count = (sql: string) => db!.prepare(sql).pluck().get() as number;

describeConcurrentDeleteProof('sqlite', {
  async setUp() {
    db = openDatabase(dbPath);
    return createSqliteStorage(db);
  },
  async tearDown() {
    db?.close();
    dir.cleanup();
  },
  // A 5 s busy timeout with sub-millisecond transactions: a StorageUnavailable would be a locking bug, and fails the proof.
  race: (processes) =>
    runWorkers(Array.from({ length: processes }, (_, p) => ({ mode: 'delete' as const, dbPath, seed: 1000 + p, busyTimeoutMs: 5_000 }))),
  async facts() {
    const rows = <T>(sql: string) => db!.prepare(sql).all() as T[];
    const deletedChildRows = ['image_properties', 'image_tags', 'image_members', 'image_locations']
      .map((table) => count(`SELECT count(*) FROM ${table} WHERE deleted = 1`))
      .reduce((a, b) => a + b, 0);
    return {
      eventsPerImage: new Map(
        rows<{ image_id: string; n: number }>('SELECT image_id, count(*) AS n FROM outbox_events GROUP BY image_id').map((r) => [
          r.image_id,
          r.n,
        ]),
      ),
      jobsPerImage: new Map(
        rows<{ image_id: string; n: number; locations: number }>(
          'SELECT image_id, count(*) AS n, count(DISTINCT location_id) AS locations FROM data_deletion_jobs GROUP BY image_id',
        ).map((r) => [r.image_id, { jobs: r.n, locations: r.locations }]),
      ),
      imageStates: rows<{ status: string; deleted: number; n: number }>(
        'SELECT status, deleted, count(*) AS n FROM images GROUP BY status, deleted',
      ).map((r) => ({ status: r.status, deleted: r.deleted === 1, count: r.n })),
      deletedChildRows,
      nonActiveLocations: count("SELECT count(*) FROM image_locations WHERE status <> 'active'"),
      eventPayloads: rows<{ payload: string }>('SELECT payload FROM outbox_events').map((r) => r.payload),
    };
  },
});
