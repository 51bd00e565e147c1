// Several OS processes, each with its own pool, delete the same images through DeleteImage: exactly one wins each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneWinnerPerImage, fixtureLocations, imageFixture, raceFigures } from '@image-catalog/testkit';
import { openPostgresStorage } from './postgres-storage.js';
import { runWorkers } from './test-support/spawn-workers.js';
import { createTestSchema, postgresUnreachable, skipNote, TEST_PG_URL, type TestSchema } from './test-support/test-database.js';

const PROCESSES = 4;
const IMAGES = 240;
// Images with zero, one and two locations, so job counts per image differ.
const locationCount = (i: number) => i % 3;

describe.skipIf(postgresUnreachable !== null)(`postgres: concurrent deletes across processes${skipNote}`, () => {
  let db: TestSchema;
  const ids = Array.from({ length: IMAGES }, () => globalThis.crypto.randomUUID());

  beforeAll(async () => {
    db = await createTestSchema();
    const { catalog } = await openPostgresStorage(db.pool, { schema: db.schema });
    const now = new Date();
    for (const [i, id] of ids.entries()) {
      const created = await catalog.createImage(
        imageFixture({ id, members: [{ memberId: 'project-b' }], locations: fixtureLocations(id, locationCount(i)) }),
        now,
      );
      expect(created.isOk()).toBe(true);
    }
  });

  afterAll(async () => {
    await db?.close();
  });

  it(`${PROCESSES} processes x ${IMAGES} images: one success per image, one event and one set of jobs; every other attempt is ImageNotFound`, async () => {
    const started = performance.now();
    // Two pairs start at different places in the list, so some images are raced by all four at
    // once and others by processes arriving at different moments.
    const results = await runWorkers(
      Array.from({ length: PROCESSES }, (_, p) => ({
        mode: 'delete' as const,
        url: TEST_PG_URL,
        schema: db.schema,
        offset: (p % 2) * (IMAGES / 2),
        poolSize: 2,
      })),
    );
    const wallMs = performance.now() - started;
    const figures = raceFigures(results);
    const ok = figures.count('ok');
    const notFound = figures.count('ImageNotFound');

    console.log(
      `[postgres concurrency] processes=${PROCESSES} images=${IMAGES} attempts=${PROCESSES * IMAGES} ` +
        `successes=${ok} not-found=${notFound} other=${PROCESSES * IMAGES - ok - notFound} ` +
        `decided-in-store=${figures.decidedInStore} guarded-writes-lost=${figures.counters['guardedWritesLost'] ?? 0} ` +
        `worker-loop-ms=[${figures.workerLoopMs.join(', ')}] all-racing-overlap-ms=${figures.overlapMs} wall-ms=${Math.round(wallMs)} (incl. process start-up)`,
    );

    // Every process tried every image; exactly one winner per image; nothing else but 404 (no 503 under this load).
    expectOneWinnerPerImage(results, IMAGES);

    // The database agrees: one outbox row and exactly one set of jobs per image.
    const s = `"${db.schema}"`;
    const events = await db.pool.query<{ image_id: string; n: number }>(
      `SELECT image_id, count(*)::int AS n FROM ${s}.outbox_events GROUP BY image_id`,
    );
    expect(events.rows).toHaveLength(IMAGES);
    expect(events.rows.every((e) => e.n === 1)).toBe(true);
    const jobs = new Map(
      (
        await db.pool.query<{ image_id: string; n: number; locations: number }>(
          `SELECT image_id, count(*)::int AS n, count(DISTINCT location_id)::int AS locations FROM ${s}.data_deletion_jobs GROUP BY image_id`,
        )
      ).rows.map((r) => [r.image_id, r]),
    );
    for (const [i, id] of ids.entries()) {
      expect(jobs.get(id)?.n ?? 0).toBe(locationCount(i));
      expect(jobs.get(id)?.locations ?? 0).toBe(locationCount(i));
    }
    const statuses = await db.pool.query(`SELECT status, deleted, count(*)::int AS n FROM ${s}.images GROUP BY status, deleted`);
    expect(statuses.rows).toEqual([{ status: 'deleted', deleted: true, n: IMAGES }]);
    // No delete wrote a child row: every one is as created, the image rows alone say they are gone.
    for (const table of ['image_properties', 'image_tags', 'image_members', 'image_locations']) {
      expect((await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.${table} WHERE deleted`)).rows[0]?.n).toBe(0);
    }
    expect(
      (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${s}.image_locations WHERE status <> 'active'`)).rows[0]?.n,
    ).toBe(0);
    // Every event's payload is the image as committed (status deleted), never a location.
    const payloads = await db.pool.query<{ payload: Record<string, unknown> }>(`SELECT payload FROM ${s}.outbox_events`);
    expect(
      payloads.rows.every(
        (r) => r.payload['status'] === 'deleted' && r.payload['deleted'] === true && !JSON.stringify(r.payload).includes('fixture://'),
      ),
    ).toBe(true);
  }, 120_000);
});
