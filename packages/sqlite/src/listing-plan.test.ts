// What a non-admin listing reads, by SQLite's own query plan: every branch an index search bounded by the page size, never a scan of images.
import { afterEach, describe, expect, it } from 'vitest';
import type BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from './open-database.js';
import { createSqliteStorage } from './sqlite-storage.js';
import { listVisibleSql } from './sqlite-image-catalog.js';

/** The table accesses of the plan of `sql`: `SEARCH`/`SCAN` lines on images (i) and image_members (m). */
function accesses(db: BetterSqlite3.Database, sql: string, params: Record<string, unknown>): string[] {
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[];
  return plan.map((row) => row.detail).filter((detail) => /^(SEARCH|SCAN) [im] /.test(detail));
}

const AFTER = { project: 'p-b', createdAt: 0, seq: 0, limit: 25 };

/** The plan of each branch, in the statement's order: own, public, community, then shared through the memberships. */
const BRANCHES = (suffix: string, name: string) => [
  // The page's images, read by rowid once the union has chosen them.
  'SEARCH i USING INTEGER PRIMARY KEY (rowid=?)',
  `SEARCH i USING INDEX images_live_by_owner${suffix} (owner=?${name} AND created_at>?)`,
  `SEARCH i USING INDEX images_live_by_visibility${suffix} (visibility=?${name} AND created_at>?)`,
  `SEARCH i USING INDEX images_live_by_visibility${suffix} (visibility=?${name} AND created_at>?)`,
  'SEARCH m USING INDEX image_members_by_member (member_id=?)',
  'SEARCH i USING INDEX sqlite_autoindex_images_1 (id=?)',
  // The members of each listed image (the image's JSON), by its key.
  'SEARCH m USING PRIMARY KEY (image_id=?)',
];

describe('sqlite: the plan of a listing filtered by who may see it', () => {
  let db: BetterSqlite3.Database | undefined;
  afterEach(() => db?.close());

  /** A migrated database; `privateOfA` private images of project A, then ANALYZE, so the plan is chosen on skewed statistics. */
  function database(privateOfA: number): BetterSqlite3.Database {
    db = openDatabase(':memory:');
    createSqliteStorage(db);
    const insert = db.prepare(
      "INSERT INTO images (id, name, owner, status, visibility, created_at, updated_at) VALUES (?, ?, 'p-a', 'active', 'private', ?, ?)",
    );
    db.transaction(() => {
      for (let i = 0; i < privateOfA; i += 1) insert.run(`image-${i}`, `name-${i % 7}`, i, i);
    })();
    db.exec('ANALYZE');
    return db;
  }

  for (const privateOfA of [0, 2_000]) {
    it(`searches one index per branch, in listing order, and scans no table (${privateOfA} private images of another project)`, () => {
      const d = database(privateOfA);
      expect(accesses(d, listVisibleSql(false), AFTER)).toEqual(BRANCHES('', ''));
      expect(accesses(d, listVisibleSql(true), { ...AFTER, name: 'name-1' })).toEqual(BRANCHES('_name', ' AND name=?'));
    });
  }

  it('no index branch sorts what it finds: its walk is in listing order and stops after the page size', () => {
    const plan = database(0)
      .prepare(`EXPLAIN QUERY PLAN ${listVisibleSql(false)}`)
      .all(AFTER) as { id: number; parent: number; detail: string }[];
    // Each branch is a co-routine; its children are its table accesses and, if any, its own sort.
    const branches = plan
      .filter((node) => node.detail.startsWith('CO-ROUTINE'))
      .map((node) => plan.filter((child) => child.parent === node.id).map((child) => child.detail))
      .filter((children) => children.some((detail) => detail.startsWith('SEARCH')));
    expect(branches).toEqual([
      ['SEARCH i USING INDEX images_live_by_owner (owner=? AND created_at>?)'],
      ['SEARCH i USING INDEX images_live_by_visibility (visibility=? AND created_at>?)'],
      ['SEARCH i USING INDEX images_live_by_visibility (visibility=? AND created_at>?)'],
      // Only the shared branch sorts: the project's memberships, however many images the catalog holds.
      [
        'SEARCH m USING INDEX image_members_by_member (member_id=?)',
        'SEARCH i USING INDEX sqlite_autoindex_images_1 (id=?)',
        'USE TEMP B-TREE FOR ORDER BY',
      ],
    ]);
  });
});
