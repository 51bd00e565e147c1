// The service cases compare what they claim: the minimal baseline writes exactly its two rows, the copied images are faithful, and the load generator counts every delete.
import { migrate, openPostgresStorage } from '@image-catalog/postgres';
import { createSqliteStorage, openDatabase } from '@image-catalog/sqlite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { BENCH_PROJECT, BENCH_TOKEN, createWorkspace } from './support/database.js';
import { clonePostgresImages, cloneSqliteImages } from './support/clone-images.js';
import { startBareServer } from './support/example-service.js';
import { runLoad } from './support/load-generator.js';
import { createMinimalDelete } from './support/minimal-delete.js';
import { EXAMPLE_PG_SCHEMA } from './support/minimal-delete-postgres.js';
import { connectPostgresAdmin, type PostgresAdmin } from './support/postgres-admin.js';

const workspace = createWorkspace();
afterAll(() => workspace.cleanup());

const PROCESS_TIMEOUT = { timeout: 120_000 };

describe('the minimal transaction (SQLite)', () => {
  it('soft-deletes the image row and writes one image.delete event naming it, and nothing else', async () => {
    const template = await workspace.template(2, 'wide');
    const fresh = workspace.fresh(template, 'minimal');
    try {
      const [imageId, other] = fresh.imageIds as [string, string];
      const count = (sql: string, ...args: unknown[]) =>
        fresh.db
          .prepare(sql)
          .pluck()
          .get(...args) as number;
      const liveChildren = () => count('SELECT count(*) FROM image_properties WHERE image_id = ? AND deleted = 0', imageId);
      expect(liveChildren()).toBe(20);

      expect(createMinimalDelete(fresh.db, { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) })(imageId)).toBe(true);

      expect(fresh.db.prepare('SELECT status, deleted, deleted_at FROM images WHERE id = ?').get(imageId)).toEqual({
        status: 'deleted',
        deleted: 1,
        deleted_at: Date.UTC(2026, 0, 2, 3, 4, 5),
      });
      const events = fresh.db.prepare("SELECT image_id, payload FROM outbox_events WHERE type = 'image.delete'").all() as {
        image_id: string;
        payload: string;
      }[];
      expect(events).toHaveLength(1);
      expect(events[0]!.image_id).toBe(imageId);
      expect(JSON.parse(events[0]!.payload)).toMatchObject({
        id: imageId,
        owner: BENCH_PROJECT,
        status: 'deleted',
        deleted: true,
        deleted_at: '2026-01-02T03:04:05Z',
      });
      // The floor the issue measures against: the children stay as they were, the other image too.
      expect(liveChildren()).toBe(20);
      expect(count('SELECT deleted FROM images WHERE id = ?', other)).toBe(0);
    } finally {
      fresh.dispose();
    }
  });

  it('answers false for an image already deleted or unknown, writing nothing', async () => {
    const template = await workspace.template(2, 'wide');
    const fresh = workspace.fresh(template, 'minimal-refused');
    try {
      const minimalDelete = createMinimalDelete(fresh.db);
      expect(minimalDelete(fresh.imageIds[0]!)).toBe(true);
      expect(minimalDelete(fresh.imageIds[0]!)).toBe(false);
      expect(minimalDelete('00000000-0000-4000-8000-000000000000')).toBe(false);
      expect(fresh.db.prepare('SELECT count(*) FROM outbox_events').pluck().get()).toBe(1);
      expect(fresh.db.inTransaction).toBe(false);
    } finally {
      fresh.dispose();
    }
  });
});

describe('copying the images the service created (SQLite)', () => {
  it('makes rows equal to the originals but for id and row number', async () => {
    const file = workspace.copy(await workspace.template(1), 'clone-source');
    const db = openDatabase(`${file.path}-plain.db`);
    try {
      const created = await createSqliteStorage(db).catalog.createImage(
        { id: globalThis.crypto.randomUUID(), name: 'posted', owner: BENCH_PROJECT },
        new Date(),
      );
      expect(created.isOk()).toBe(true);

      const ids = cloneSqliteImages(db, 25);

      expect(new Set(ids).size).toBe(25);
      const rows = db.prepare('SELECT * FROM images').all() as Record<string, unknown>[];
      const strip = ({ id: _id, seq: _seq, ...rest }: Record<string, unknown>) => rest;
      for (const row of rows) expect(strip(row)).toEqual(strip(rows[0]!));
    } finally {
      db.close();
      file.dispose();
    }
  });

  it('refuses when other tables hold rows for the images (copying the image row alone would lose them)', async () => {
    const fresh = workspace.fresh(await workspace.template(2), 'clone-children');
    try {
      expect(() => cloneSqliteImages(fresh.db, 10)).toThrow(/image_properties|image_tags|image_members|image_locations/);
    } finally {
      fresh.dispose();
    }
  });
});

describe('the bare Express server and the load generator (SQLite)', () => {
  it('deletes each image once with 204; a second pass gets 404s, which the load report names', PROCESS_TIMEOUT, async () => {
    const file = workspace.copy(await workspace.template(15), 'bare-server');
    const server = await startBareServer({ sqlite: file.path }, `${file.path}.log`);
    try {
      expect((await fetch(`${server.url}/v2/images/${'0'.repeat(8)}`, { method: 'DELETE' })).status).toBe(401);
      const ids = (await workspace.template(15)).imageIds;
      const run = { urls: [server.url], serverPids: [server.pid], token: BENCH_TOKEN, connections: 3, dir: workspace.dir };

      const first = await runLoad({ ...run, warmupIds: ids.slice(0, 5), imageIds: ids.slice(5) });
      expect(first.problems).toEqual([]);
      expect(first.result.statuses).toEqual({ '204': 10 });
      expect(first.result.okPerSec).toBeGreaterThan(0);
      expect(first.result.serverCpuUsPerRequest).toBeGreaterThanOrEqual(0);

      const again = await runLoad({ ...run, warmupIds: [], imageIds: ids.slice(5) });
      expect(again.problems).toContain('measured: HTTP 404 ×10');
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const db = openDatabase(file.path);
    try {
      expect(db.prepare('SELECT count(*) FROM images WHERE deleted = 1').pluck().get()).toBe(15);
      expect(db.prepare("SELECT count(*) FROM outbox_events WHERE type = 'image.delete'").pluck().get()).toBe(15);
    } finally {
      db.close();
      file.dispose();
    }
  });
});

const admin = await connectPostgresAdmin();
const pgProblem = 'unreachable' in admin ? admin.unreachable : null;
if (pgProblem !== null) console.warn(`\n[bench] SKIPPING the PostgreSQL baseline test: ${pgProblem}\n`);

describe.skipIf(pgProblem !== null)(`the bare Express + pg server${pgProblem === null ? '' : ' (SKIPPED: PostgreSQL unreachable)'}`, () => {
  const pgAdmin = admin as PostgresAdmin;
  const database = `bench_test_${process.pid}`;
  afterAll(async () => {
    await pgAdmin.dropDatabase(database);
    await pgAdmin.close();
  });

  it('copies a created image into many and deletes each once: 204s, one event per image', PROCESS_TIMEOUT, async () => {
    await pgAdmin.dropDatabase(database);
    await pgAdmin.createDatabase(database);
    const pool = new pg.Pool({ connectionString: pgAdmin.urlFor(database) });
    try {
      await migrate(pool);
      const storage = await openPostgresStorage(pool);
      expect(
        (
          await storage.catalog.createImage({ id: globalThis.crypto.randomUUID(), name: 'posted', owner: BENCH_PROJECT }, new Date())
        ).isOk(),
      ).toBe(true);
    } finally {
      await pool.end();
    }
    const client = await pgAdmin.connect(database);
    const ids = await clonePostgresImages(client, EXAMPLE_PG_SCHEMA, 20).finally(() => client.end());
    expect(new Set(ids).size).toBe(20);

    const server = await startBareServer({ postgres: pgAdmin.urlFor(database) }, `${workspace.dir}/bare-pg.log`);
    try {
      const load = await runLoad({
        urls: [server.url],
        serverPids: [server.pid],
        token: BENCH_TOKEN,
        connections: 4,
        warmupIds: [],
        imageIds: ids,
        dir: workspace.dir,
      });
      expect(load.problems).toEqual([]);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const check = await pgAdmin.connect(database);
    try {
      const n = async (sql: string) => Number((await check.query<{ n: string }>(sql)).rows[0]!.n);
      expect(await n(`SELECT count(*) AS n FROM ${EXAMPLE_PG_SCHEMA}.images WHERE deleted`)).toBe(20);
      expect(await n(`SELECT count(*) AS n FROM ${EXAMPLE_PG_SCHEMA}.outbox_events WHERE type = 'image.delete'`)).toBe(20);
    } finally {
      await check.end();
    }
  });
});
