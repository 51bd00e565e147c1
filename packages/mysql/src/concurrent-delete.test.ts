// Several OS processes, each with its own pool, delete the same images through DeleteImage: exactly one wins each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneWinnerPerImage, fixtureLocations, imageFixture, raceFigures } from '@image-catalog/testkit';
import { openMysqlStorage } from './open-mysql-storage.js';
import { runWorkers } from './test-support/spawn-workers.js';
import { countRows, createTestDatabase, mysqlUnreachable, skipNote, type TestDatabase } from './test-support/test-database.js';

const PROCESSES = 4;
const IMAGES = 240;
// Images with zero, one and two locations, so job counts per image differ.
const locationCount = (i: number) => i % 3;

describe.skipIf(mysqlUnreachable !== null)(`mysql: concurrent deletes across processes${skipNote}`, () => {
  let db: TestDatabase;
  const ids = Array.from({ length: IMAGES }, () => globalThis.crypto.randomUUID());

  beforeAll(async () => {
    db = await createTestDatabase();
    const { catalog } = await openMysqlStorage(db.pool);
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
      Array.from({ length: PROCESSES }, (_, p) => ({ mode: 'delete' as const, url: db.url, offset: (p % 2) * (IMAGES / 2), poolSize: 2 })),
    );
    const wallMs = performance.now() - started;
    const figures = raceFigures(results);
    console.log(
      `[mysql concurrency] processes=${PROCESSES} images=${IMAGES} attempts=${PROCESSES * IMAGES} successes=${figures.count('ok')} ` +
        `not-found=${figures.count('ImageNotFound')} decided-in-store=${figures.decidedInStore} ` +
        `worker-loop-ms=[${figures.workerLoopMs.join(', ')}] all-racing-overlap-ms=${figures.overlapMs} wall-ms=${Math.round(wallMs)} (incl. process start-up)`,
    );

    // Every process tried every image; exactly one winner per image; nothing else but 404 (no 503 under this load).
    expectOneWinnerPerImage(results, IMAGES);

    // The database agrees: one outbox row and exactly one set of jobs per image.
    const [events] = await db.pool.query('SELECT image_id, COUNT(*) AS n FROM outbox_events GROUP BY image_id');
    expect(events).toHaveLength(IMAGES);
    expect((events as { n: number }[]).every((e) => Number(e.n) === 1)).toBe(true);
    const [jobRows] = await db.pool.query(
      'SELECT image_id, COUNT(*) AS n, COUNT(DISTINCT location_id) AS locations FROM data_deletion_jobs GROUP BY image_id',
    );
    const jobs = new Map((jobRows as { image_id: string; n: number; locations: number }[]).map((r) => [r.image_id, r]));
    for (const [i, id] of ids.entries()) {
      expect(Number(jobs.get(id)?.n ?? 0)).toBe(locationCount(i));
      expect(Number(jobs.get(id)?.locations ?? 0)).toBe(locationCount(i));
    }
    const [statuses] = await db.pool.query('SELECT status, deleted, COUNT(*) AS n FROM images GROUP BY status, deleted');
    expect(statuses).toEqual([{ status: 'deleted', deleted: 1, n: IMAGES }]);
    // No delete wrote a child row: every one is as created, the image rows alone say they are gone.
    for (const table of ['image_properties', 'image_tags', 'image_members', 'image_locations']) {
      expect(await countRows(db.pool, table, 'deleted = TRUE')).toBe(0);
    }
    expect(await countRows(db.pool, 'image_locations', "status <> 'active'")).toBe(0);
    // Every event's payload is the image as committed (status deleted), never a location.
    const [payloads] = await db.pool.query('SELECT payload FROM outbox_events');
    for (const { payload } of payloads as { payload: unknown }[]) {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      expect(JSON.parse(text)).toMatchObject({ status: 'deleted', deleted: true });
      expect(text).not.toContain('fixture://');
    }
  }, 120_000);
});
