// Several OS processes, each with its own pool, delete the same images through DeleteImage: exactly one wins each (testkit's proof).
import { describeConcurrentDeleteProof } from '@image-catalog/testkit';
import { openMysqlStorage } from './open-mysql-storage.js';
import { runWorkers } from './test-support/spawn-workers.js';
import { countRows, createTestDatabase, mysqlUnreachable, skipNote, type TestDatabase } from './test-support/test-database.js';

let db: TestDatabase | undefined;
const pool = () => db!.pool;

describeConcurrentDeleteProof('mysql', {
  skip: mysqlUnreachable === null ? null : skipNote,
  async setUp() {
    db = await createTestDatabase();
    return openMysqlStorage(db.pool);
  },
  tearDown: async () => db?.close(),
  // Two pairs start at different places in the list, so some images are raced by all four at once and others by processes arriving at different moments.
  race: (processes, images) =>
    runWorkers(
      Array.from({ length: processes }, (_, p) => ({ mode: 'delete' as const, url: db!.url, offset: (p % 2) * (images / 2), poolSize: 2 })),
    ),
  async facts() {
    const [events] = await pool().query('SELECT image_id, COUNT(*) AS n FROM outbox_events GROUP BY image_id');
    const [jobs] = await pool().query(
      'SELECT image_id, COUNT(*) AS n, COUNT(DISTINCT location_id) AS locations FROM data_deletion_jobs GROUP BY image_id',
    );
    const [states] = await pool().query('SELECT status, deleted, COUNT(*) AS n FROM images GROUP BY status, deleted');
    const [payloads] = await pool().query('SELECT payload FROM outbox_events');
    let deletedChildRows = 0;
    for (const table of ['image_properties', 'image_tags', 'image_members', 'image_locations']) {
      deletedChildRows += await countRows(pool(), table, 'deleted = TRUE');
    }
    return {
      eventsPerImage: new Map((events as { image_id: string; n: number }[]).map((r) => [r.image_id, Number(r.n)])),
      jobsPerImage: new Map(
        (jobs as { image_id: string; n: number; locations: number }[]).map((r) => [
          r.image_id,
          { jobs: Number(r.n), locations: Number(r.locations) },
        ]),
      ),
      imageStates: (states as { status: string; deleted: number; n: number }[]).map((r) => ({
        status: r.status,
        deleted: r.deleted === 1,
        count: Number(r.n),
      })),
      deletedChildRows,
      nonActiveLocations: await countRows(pool(), 'image_locations', "status <> 'active'"),
      eventPayloads: (payloads as { payload: unknown }[]).map(({ payload }) =>
        typeof payload === 'string' ? payload : JSON.stringify(payload),
      ),
    };
  },
});
