// A write lock held on the service's SQLite file by another process: the service keeps answering, the DELETE gets 503 + Retry-After at the lock wait (5 s), and 204 once the lock is gone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteImage } from '../examples/express-app/src/test-support/in-process-service.js';
import { holdWriteLock } from '../packages/sqlite/src/test-support/lock-holder.js';
import { createImageWithData, getStatus, readCatalog } from './support/lifecycle.js';
import { serviceEnv, startServiceProcess, type ServiceProcess } from './support/service-process.js';

const MEMBER = 'demo-member-token';
/** The example's SQLite default: `openDatabase`'s busy timeout, which the store waits for asynchronously. */
const LOCK_WAIT_MS = 5_000;
/** How long the other process holds the lock: well past the lock wait. */
const HOLD_MS = 8_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a write lock held on images.db by another process (example service as a child process, default settings)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'image-catalog-sqlite-lock-'));
  let service: ServiceProcess | null = null;

  afterAll(async () => {
    if (service !== null && service.child.exitCode === null && service.child.signalCode === null) {
      service.kill('SIGKILL');
      await service.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it(
    'GET /versions keeps answering at once, the DELETE answers 503 with Retry-After near 5 s having changed nothing, and 204 after the release',
    { timeout: 120_000 },
    async () => {
      const dataDir = path.join(root, 'data');
      const dbPath = path.join(dataDir, 'images.db');
      service = await startServiceProcess(serviceEnv(dataDir));
      const api = `${service.url}/v2`;
      const id = await createImageWithData(
        api,
        MEMBER,
        Uint8Array.from({ length: 4096 }, (_, i) => i % 251),
      );
      const jobsBefore = readCatalog(dbPath).jobs.length;
      const eventsBefore = readCatalog(dbPath).events.length;

      const holder = await holdWriteLock(dbPath, HOLD_MS);
      const start = performance.now();
      let deleteAnswered = false;
      const pendingDelete = deleteImage(api, MEMBER, id).then(async (res) => {
        const ms = performance.now() - start;
        deleteAnswered = true;
        await res.arrayBuffer();
        return { status: res.status, retryAfter: res.headers.get('retry-after'), ms };
      });

      // While the DELETE waits for the lock: /versions every 100 ms, each timed.
      const versions: number[] = [];
      while (!deleteAnswered) {
        const sent = performance.now();
        const res = await fetch(`${service.url}/versions`);
        await res.arrayBuffer();
        versions.push(performance.now() - sent);
        expect(res.status).toBe(200);
        await sleep(100);
      }
      const answer = await pendingDelete;
      // Still held: reads are served, and the refused DELETE left the image as it was.
      const stillHeld = performance.now() - start < HOLD_MS - 500;
      const statusWhileHeld = stillHeld ? await getStatus(api, MEMBER, id) : null;

      const sorted = [...versions].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      const max = sorted[sorted.length - 1]!;
      console.info(
        `[sqlite lock, example service] lock held ${HOLD_MS} ms by another process; GET /versions while the DELETE waited: ${versions.length} requests, median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms; DELETE answered ${answer.status} after ${Math.round(answer.ms)} ms (Retry-After: ${answer.retryAfter})`,
      );
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toMatch(/^[1-9]\d*$/);
      expect(answer.ms).toBeGreaterThanOrEqual(LOCK_WAIT_MS);
      expect(answer.ms).toBeLessThan(LOCK_WAIT_MS + 1_500);
      // Dozens of requests over 5 s, none of them waiting for the lock.
      expect(versions.length).toBeGreaterThan(10);
      expect(max).toBeLessThan(500);
      if (statusWhileHeld !== null) expect(statusWhileHeld).toBe(200);
      const refused = readCatalog(dbPath);
      expect(refused.images.get(id)).toMatchObject({ status: 'active', deleted: 0 });
      expect(refused.jobs).toHaveLength(jobsBefore);
      expect(refused.events).toHaveLength(eventsBefore);

      await holder.released;
      expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
      expect(await getStatus(api, MEMBER, id)).toBe(404);
      expect(readCatalog(dbPath).images.get(id)).toMatchObject({ deleted: 1 });
    },
  );
});
