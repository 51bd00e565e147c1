// Issue 10's listing figure, by hand: the time of a non-admin page when the caller may see few of the catalog's images.
//
//   node --conditions=source --import tsx bench/listing-visibility.ts [images]
//
// Seeds `images` (default 20 000) private images of project A, then times `listImages` for
// project B (sees none of them) with limit 1 and 25 and for project A with limit 25, on SQLite
// (a temporary file) and, when it answers, PostgreSQL (a throw-away schema; IMAGE_CATALOG_TEST_PG_URL).
// A figure to read, never a test: nothing here passes or fails on time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Principal } from '@image-catalog/core';
import type { ImageCatalog } from '@image-catalog/core/authoring';
import { migrate as migratePostgres, openPostgresStorage } from '@image-catalog/postgres';
import { createSqliteStorage, openDatabase } from '@image-catalog/sqlite';
import { emptyImageFixture } from '@image-catalog/testkit';

const IMAGES = Number(process.argv[2] ?? 20_000);
const ROUNDS = 200;
const member = (project: string): Principal => ({ userId: `u-${project}`, projectId: project, roles: ['member'] });

async function seed(catalog: ImageCatalog, parallel: number): Promise<void> {
  const start = new Date('2024-01-01T00:00:00Z').getTime();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < IMAGES; i = next++) {
      const created = await catalog.createImage(
        emptyImageFixture({ owner: 'A', visibility: 'private', name: `a-${i}` }),
        new Date(start + i),
      );
      if (created.isErr()) throw new Error(`seeding failed: ${JSON.stringify(created.error)}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** Median milliseconds of one `listImages` call over ROUNDS calls, after a warm-up. */
async function median(catalog: ImageCatalog, project: string, limit: number): Promise<{ ms: number; listed: number }> {
  const times: number[] = [];
  let listed = 0;
  for (let round = 0; round < ROUNDS + 10; round += 1) {
    const begun = performance.now();
    const page = await catalog.listImages({ visibleTo: member(project), limit });
    const took = performance.now() - begun;
    if (page.isErr()) throw new Error(`listing failed: ${JSON.stringify(page.error)}`);
    listed = page.value.length;
    if (round >= 10) times.push(took);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? Number.NaN, listed };
}

async function report(adapter: string, catalog: ImageCatalog): Promise<void> {
  for (const [project, limit] of [
    ['B', 1],
    ['B', 25],
    ['A', 25],
  ] as const) {
    const { ms, listed } = await median(catalog, project, limit);
    console.log(
      `${adapter.padEnd(10)} ${IMAGES} private images of A; project ${project}, limit ${String(limit).padStart(2)}: ${ms.toFixed(3)} ms (${listed} listed)`,
    );
  }
}

async function onSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ic-listing-'));
  const db = openDatabase(join(dir, 'images.db'));
  try {
    const { catalog } = createSqliteStorage(db);
    await seed(catalog, 1);
    db.exec('ANALYZE');
    await report('sqlite', catalog);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onPostgres(): Promise<void> {
  const pool = new pg.Pool({
    connectionString: process.env['IMAGE_CATALOG_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
    max: 8,
  });
  pool.on('error', () => {});
  const schema = `ic_bench_listing_${process.pid}`;
  try {
    await pool.query('SELECT 1');
  } catch (cause) {
    console.log(`postgres   skipped: ${cause instanceof Error ? cause.message : String(cause)}`);
    await pool.end();
    return;
  }
  try {
    await migratePostgres(pool, { schema });
    const { catalog } = await openPostgresStorage(pool, { schema });
    await seed(catalog, 8);
    await pool.query(`ANALYZE "${schema}".images; ANALYZE "${schema}".image_members`);
    await report('postgres', catalog);
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
}

await onSqlite();
if (process.env['LISTING_SQLITE_ONLY'] === undefined) await onPostgres();
