// Several OS processes, each with its own pool, delete the same images through DeleteImage: exactly one wins each (testkit's proof).
import { describeConcurrentDeleteProof } from '@image-catalog/testkit';
import { openPostgresStorage } from './postgres-storage.js';
import { runWorkers } from './test-support/spawn-workers.js';
import { createTestSchema, postgresUnreachable, skipNote, TEST_PG_URL, type TestSchema } from './test-support/test-database.js';

let db: TestSchema | undefined;
const count = async (sql: string) => (await db!.pool.query<{ n: number }>(sql)).rows[0]?.n ?? 0;

describeConcurrentDeleteProof('postgres', {
  skip: postgresUnreachable === null ? null : skipNote,
  async setUp() {
    db = await createTestSchema();
    return openPostgresStorage(db.pool, { schema: db.schema });
  },
  tearDown: async () => db?.close(),
  // Two pairs start at different places in the list, so some images are raced by all four at once and others by processes arriving at different moments.
  race: (processes, images) =>
    runWorkers(
      Array.from({ length: processes }, (_, p) => ({
        mode: 'delete' as const,
        url: TEST_PG_URL,
        schema: db!.schema,
        offset: (p % 2) * (images / 2),
        poolSize: 2,
      })),
    ),
  async facts() {
    const s = `"${db!.schema}"`;
    const events = await db!.pool.query<{ image_id: string; n: number }>(
      `SELECT image_id, count(*)::int AS n FROM ${s}.outbox_events GROUP BY image_id`,
    );
    const jobs = await db!.pool.query<{ image_id: string; n: number; locations: number }>(
      `SELECT image_id, count(*)::int AS n, count(DISTINCT location_id)::int AS locations FROM ${s}.data_deletion_jobs GROUP BY image_id`,
    );
    const states = await db!.pool.query<{ status: string; deleted: boolean; count: number }>(
      `SELECT status, deleted, count(*)::int AS count FROM ${s}.images GROUP BY status, deleted`,
    );
    const payloads = await db!.pool.query<{ payload: unknown }>(`SELECT payload FROM ${s}.outbox_events`);
    let deletedChildRows = 0;
    for (const table of ['image_properties', 'image_tags', 'image_members', 'image_locations']) {
      deletedChildRows += await count(`SELECT count(*)::int AS n FROM ${s}.${table} WHERE deleted`);
    }
    return {
      eventsPerImage: new Map(events.rows.map((r) => [r.image_id, r.n])),
      jobsPerImage: new Map(jobs.rows.map((r) => [r.image_id, { jobs: r.n, locations: r.locations }])),
      imageStates: states.rows,
      deletedChildRows,
      nonActiveLocations: await count(`SELECT count(*)::int AS n FROM ${s}.image_locations WHERE status <> 'active'`),
      eventPayloads: payloads.rows.map((r) => JSON.stringify(r.payload)),
    };
  },
});
