// Multiplies images the example service created into many (a new id each), on SQLite or PostgreSQL, whatever the images table's columns.
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';

/**
 * Creating hundreds of thousands of images through `POST /v2/images` would take longer than the
 * benchmark itself, so the service creates a few and they are copied row for row, every column
 * but the id (a new UUID) and the row number. That is only a faithful copy when an image is one
 * row, so it refuses when another table already holds rows for them.
 */
function refuseChildren(tablesWithRows: readonly string[]): void {
  if (tablesWithRows.length > 0) {
    throw new Error(
      `cannot copy the posted images: ${tablesWithRows.join(', ')} hold rows for them (copying only the image row would lose those)`,
    );
  }
}

/** Copies the live images round robin until `count` exist; answers the live image ids in row order. */
export function cloneSqliteImages(db: BetterSqlite3.Database, count: number): string[] {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'images'").pluck().all() as string[];
  refuseChildren(
    tables.filter((table) => {
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table) as string[];
      return columns.includes('image_id') && (db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get() as number) > 0;
    }),
  );
  const columns = (
    db.prepare("SELECT name, pk, type FROM pragma_table_info('images')").all() as { name: string; pk: number; type: string }[]
  )
    // An INTEGER PRIMARY KEY is the rowid: SQLite numbers the copies itself.
    .filter((c) => !(c.pk === 1 && c.type.toUpperCase() === 'INTEGER'))
    .map((c) => c.name);
  if (!columns.includes('id')) throw new Error('the images table has no id column');
  const sources = db.prepare('SELECT id FROM images WHERE deleted = 0 ORDER BY rowid').pluck().all() as string[];
  if (sources.length === 0) throw new Error('no image to copy');
  const insert = db.prepare(
    `INSERT INTO images (${columns.map((c) => `"${c}"`).join(', ')}) SELECT ${columns.map((c) => (c === 'id' ? '?' : `"${c}"`)).join(', ')} FROM images WHERE id = ?`,
  );
  db.transaction(() => {
    for (let i = sources.length; i < count; i++) insert.run(globalThis.crypto.randomUUID(), sources[i % sources.length]);
  })();
  return db.prepare('SELECT id FROM images WHERE deleted = 0 ORDER BY rowid').pluck().all() as string[];
}

/** The same on PostgreSQL, inside `schema`, with `gen_random_uuid()` ids; identity columns number themselves. */
export async function clonePostgresImages(client: pg.ClientBase, schema: string, count: number): Promise<string[]> {
  const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const childTables = await client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'image_id' AND table_name <> 'images'`,
    [schema],
  );
  const withRows: string[] = [];
  for (const { table_name } of childTables.rows) {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(schema)}.${q(table_name)}`);
    if (Number(rows[0]!.n) > 0) withRows.push(table_name);
  }
  refuseChildren(withRows);
  const { rows: columnRows } = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = 'images' AND is_identity = 'NO' AND is_generated = 'NEVER' ORDER BY ordinal_position`,
    [schema],
  );
  const columns = columnRows.map((r) => r.column_name);
  if (!columns.includes('id')) throw new Error('the images table has no id column');
  const images = `${q(schema)}.images`;
  const { rows: live } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${images} WHERE NOT deleted`);
  const have = Number(live[0]!.n);
  if (have === 0) throw new Error('no image to copy');
  const missing = count - have;
  if (missing > 0) {
    await client.query(
      `INSERT INTO ${images} (${columns.map(q).join(', ')})
       SELECT ${columns.map((c) => (c === 'id' ? 'gen_random_uuid()::text' : `src.${q(c)}`)).join(', ')}
       FROM (SELECT * FROM ${images} WHERE NOT deleted) src CROSS JOIN generate_series(1, $1::int) LIMIT $2`,
      [Math.ceil(missing / have), missing],
    );
  }
  const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${images} WHERE NOT deleted ORDER BY seq`);
  return rows.map((r) => r.id);
}
