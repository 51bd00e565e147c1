// The example service on PostgreSQL while another session holds ACCESS EXCLUSIVE on the images table: other requests are served at once, the DELETE answers 503 + Retry-After at the lock timeout, and succeeds once the lock is gone.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteImage } from '../examples/express-app/src/test-support/in-process-service.js';
import { holdLock } from '../packages/postgres/src/test-support/held-lock.js';
import { postgresUnreachable, skipNote, TEST_PG_URL } from '../packages/postgres/src/test-support/test-database.js';
import { createImageWithData, getStatus } from './support/lifecycle.js';
import { serviceEnv, startServiceProcess, type ServiceProcess } from './support/service-process.js';

const MEMBER = 'demo-member-token';
/** How long the other session holds the lock: longer than the 5 s lock timeout the example runs with (the adapter's default). */
const HOLD_MS = 8_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function onAdminConnection(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

describe.skipIf(postgresUnreachable !== null)(`example service on PostgreSQL, images table locked by another session${skipNote}`, () => {
  // The example uses the default schema: a database of its own keeps it fresh.
  const database = `ic_stall_${randomBytes(6).toString('hex')}`;
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${database}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'image-catalog-pg-stall-'));
  let service: ServiceProcess | null = null;

  afterAll(async () => {
    if (service !== null) {
      service.kill('SIGKILL');
      await service.exited;
    }
    rmSync(dir, { recursive: true, force: true });
    await onAdminConnection(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  });

  it(
    'GET /versions answers within a few hundred ms, the DELETE 503 + Retry-After near 5 s with nothing written, then 204 after the release',
    { timeout: 90_000 },
    async () => {
      await onAdminConnection(`CREATE DATABASE "${database}"`);
      service = await startServiceProcess(serviceEnv(dir, { DATABASE_URL: url.href }));
      const api = `${service.url}/v2`;
      const id = await createImageWithData(api, MEMBER, new Uint8Array(1024).fill(7));

      const lock = await holdLock('LOCK TABLE image_catalog.images IN ACCESS EXCLUSIVE MODE', { url: url.href });
      const lockedAt = performance.now();
      const released = sleep(HOLD_MS).then(async () => {
        await lock.release();
        return performance.now();
      });

      try {
        const deleteStarted = performance.now();
        const deleting = deleteImage(api, MEMBER, id).then(async (res) => ({
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          body: await res.text(),
          ms: performance.now() - deleteStarted,
        }));
        let answered: Awaited<typeof deleting> | null = null;
        void deleting.then((value) => (answered = value));

        // Other requests while the DELETE waits on the lock: each must be answered at once.
        const versions: number[] = [];
        while (answered === null && performance.now() - deleteStarted < HOLD_MS - 500) {
          const started = performance.now();
          const res = await fetch(`${service.url}/versions`);
          await res.arrayBuffer();
          versions.push(performance.now() - started);
          expect(res.status).toBeLessThan(400);
          await sleep(200);
        }
        const deleted = await deleting;
        const stillLocked = performance.now() - lockedAt < HOLD_MS;
        const sorted = [...versions].sort((a, b) => a - b);
        console.log(
          `[postgres lock stall, example service] GET /versions while the images table was locked: n=${versions.length} ` +
            `median=${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms max=${sorted.at(-1)?.toFixed(1)} ms; ` +
            `DELETE answered ${deleted.status} (Retry-After ${deleted.retryAfter}) after ${Math.round(deleted.ms)} ms`,
        );

        expect(deleted.status, deleted.body).toBe(503);
        expect(deleted.retryAfter).toBe('5');
        expect(stillLocked).toBe(true);
        expect(deleted.ms).toBeGreaterThanOrEqual(4_500);
        expect(deleted.ms).toBeLessThan(7_500);
        expect(versions.length).toBeGreaterThanOrEqual(10);
        expect(sorted.at(-1)).toBeLessThan(500);
      } finally {
        await released;
      }

      // Nothing half-done: the image is as it was, with no job and no event.
      const db = new pg.Client({ connectionString: url.href });
      await db.connect();
      try {
        const row = await db.query(
          `SELECT status, deleted,
                (SELECT count(*)::int FROM image_catalog.data_deletion_jobs WHERE image_id = $1) AS jobs,
                (SELECT count(*)::int FROM image_catalog.outbox_events WHERE image_id = $1) AS events
         FROM image_catalog.images WHERE id = $1`,
          [id],
        );
        expect(row.rows).toEqual([{ status: 'active', deleted: false, jobs: 0, events: 0 }]);
      } finally {
        await db.end();
      }
      expect(await getStatus(api, MEMBER, id)).toBe(200);
      expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
      expect(await getStatus(api, MEMBER, id)).toBe(404);
    },
  );
});
