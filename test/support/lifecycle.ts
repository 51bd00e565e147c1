// What the data-lifecycle end-to-end tests read and poll: the SQLite file (read-only), the events file, the data folder.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { authHeaders, createImageOverHttp } from '../../examples/express-app/src/test-support/in-process-service.js';

/** Polls `check` every `intervalMs` until it returns a value other than `null`; at most `attempts` times. */
export async function poll<T>(
  what: string,
  check: () => T | null | Promise<T | null>,
  { attempts = 600, intervalMs = 100 } = {},
): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== null) return value;
    await new Promise((done) => setTimeout(done, intervalMs));
  }
  throw new Error(`gave up waiting for ${what} after ${attempts} polls`);
}

export interface ImageRow {
  readonly id: string;
  readonly status: string;
  readonly deleted: number;
  readonly deleted_at: number | null;
}
export interface LocationRow {
  readonly image_id: string;
  readonly id: string;
  readonly url: string;
  readonly status: string;
}
export interface JobRow {
  readonly id: string;
  readonly image_id: string;
  readonly location_id: string;
  readonly url: string;
  readonly state: 'queued' | 'done' | 'dead' | 'cancelled';
  readonly attempts: number;
  readonly available_at: number;
  readonly updated_at: number;
  readonly claimed_at: number | null;
  readonly last_error: string | null;
}
export interface OutboxRow {
  readonly id: string;
  readonly image_id: string;
  readonly available_at: number;
  readonly delivered_at: number | null;
  readonly attempts: number;
}

/** One consistent read of the catalog, the job queue and the outbox. */
export interface CatalogSnapshot {
  readonly images: ReadonlyMap<string, ImageRow>;
  readonly locations: readonly LocationRow[];
  readonly jobs: readonly JobRow[];
  readonly events: readonly OutboxRow[];
}

/** Runs `read` on a fresh read-only connection (never holding a snapshot between polls), then closes it. */
export function withReadOnlyDatabase<T>(dbPath: string, read: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 5_000 });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

export function readCatalog(dbPath: string): CatalogSnapshot {
  return withReadOnlyDatabase(dbPath, (db) =>
    db.transaction(() => ({
      images: new Map((db.prepare('SELECT id, status, deleted, deleted_at FROM images').all() as ImageRow[]).map((r) => [r.id, r])),
      locations: db.prepare('SELECT image_id, id, url, status FROM image_locations ORDER BY image_id, position').all() as LocationRow[],
      jobs: db
        .prepare(
          'SELECT id, image_id, location_id, url, state, attempts, available_at, updated_at, claimed_at, last_error FROM data_deletion_jobs ORDER BY seq',
        )
        .all() as JobRow[],
      events: db.prepare('SELECT id, image_id, available_at, delivered_at, attempts FROM outbox_events ORDER BY seq').all() as OutboxRow[],
    }))(),
  );
}

/** What the JSON-lines events file holds, duplicates (same event id) dropped and counted. */
export interface EventsFile {
  readonly lines: number;
  /** Lines that are not a JSON object with `id`, `type` and `imageId` (a torn or corrupt line). */
  readonly torn: number;
  /** Lines repeating an event id already seen (at-least-once delivery). */
  readonly duplicates: number;
  /** Distinct event ids per image id. */
  readonly byImage: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every distinct record, by event id. */
  readonly byId: ReadonlyMap<
    string,
    { readonly id: string; readonly type: string; readonly imageId: string; readonly payload: Record<string, unknown> }
  >;
}

export function readEventsFile(file: string): EventsFile {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const parts = text.split('\n');
  // A file that does not end with a newline ends with a torn line; an empty last part is just the final newline.
  const last = parts.pop();
  const unterminated = last !== undefined && last !== '' ? 1 : 0;
  let torn = unterminated;
  let duplicates = 0;
  const byImage = new Map<string, Set<string>>();
  const byId = new Map<string, { id: string; type: string; imageId: string; payload: Record<string, unknown> }>();
  for (const line of parts) {
    let record: { id?: unknown; type?: unknown; imageId?: unknown; payload?: unknown };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      torn++;
      continue;
    }
    if (typeof record.id !== 'string' || typeof record.type !== 'string' || typeof record.imageId !== 'string') {
      torn++;
      continue;
    }
    if (byId.has(record.id)) {
      duplicates++;
      continue;
    }
    byId.set(record.id, {
      id: record.id,
      type: record.type,
      imageId: record.imageId,
      payload: (record.payload ?? {}) as Record<string, unknown>,
    });
    const ids = byImage.get(record.imageId) ?? new Set<string>();
    ids.add(record.id);
    byImage.set(record.imageId, ids);
  }
  return { lines: parts.length + unterminated, torn, duplicates, byImage, byId };
}

/** Data files in the file store's folder (`<imageId>.<hex>`), by image id; hidden temp files are counted apart. */
export function dataFiles(imagesDir: string): { readonly byImage: ReadonlyMap<string, readonly string[]>; readonly hidden: number } {
  const byImage = new Map<string, string[]>();
  let hidden = 0;
  const names = existsSync(imagesDir) ? readdirSync(imagesDir) : [];
  for (const name of names) {
    if (name.startsWith('.')) {
      hidden++;
      continue;
    }
    const dot = name.lastIndexOf('.');
    const id = dot > 0 ? name.slice(0, dot) : name;
    byImage.set(id, [...(byImage.get(id) ?? []), name]);
  }
  return { byImage, hidden };
}

/** Creates an image and uploads `bytes` as its data (POST /v2/images, PUT file); returns its id. */
export async function createImageWithData(
  api: string,
  token: string,
  bytes: Uint8Array,
  body: Record<string, unknown> = {},
): Promise<string> {
  const { id } = await createImageOverHttp(api, token, body);
  const res = await fetch(`${api}/images/${id}/file`, {
    method: 'PUT',
    headers: authHeaders(token, { 'Content-Type': 'application/octet-stream' }),
    body: bytes,
  });
  if (res.status !== 204) throw new Error(`PUT /v2/images/${id}/file answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return id;
}

/** Status of `GET /v2/images/{id}` (body drained). */
export async function getStatus(api: string, token: string, id: string): Promise<number> {
  const res = await fetch(`${api}/images/${id}`, { headers: authHeaders(token) });
  await res.arrayBuffer();
  return res.status;
}
