// The baseline: the delete transaction written by hand on better-sqlite3 prepared statements, no library code.
import type BetterSqlite3 from 'better-sqlite3';

export type RawDeleteOutcome = 'deleted' | 'not-found' | 'forbidden' | 'protected';

export interface RawDeleteOptions {
  /** Ids of jobs and events (default: random UUIDs). */
  readonly newId?: () => string;
  /** "now" in epoch milliseconds (default: `Date.now()`). */
  readonly now?: () => number;
  /**
   * How long new jobs wait before a scrubber may take them (default 60 s): the library's
   * immediate mode leases them for its inline run by the same amount.
   */
  readonly jobLeaseMs?: number;
}

interface ImageRow {
  id: string;
  name: string | null;
  owner: string | null;
  status: string;
  visibility: string;
  protected: 0 | 1;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  created_at: number;
}

/** Glance's `isotime`: ISO 8601 UTC without fractional seconds. */
const isoTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/**
 * What a team would write without the library: BEGIN IMMEDIATE, read the image and its children,
 * check owner and protection, guarded UPDATE of the image row, queue one job per active location,
 * write the same `image.delete` outbox payload, COMMIT. Like the library, it writes no child row:
 * the image row's state hides them (and a scrubber purges them later), so both sides write the
 * same rows. The caller's project must own the image (the baseline has no visibility rules, roles
 * or admin). Throws what SQLite throws.
 */
export function createRawDelete(
  db: BetterSqlite3.Database,
  options: RawDeleteOptions = {},
): (imageId: string, projectId: string) => RawDeleteOutcome {
  const newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  const now = options.now ?? Date.now;
  const leaseMs = options.jobLeaseMs ?? 60_000;

  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const selectImage = db.prepare(
    `SELECT id, name, owner, status, visibility, protected, size, virtual_size, checksum, disk_format, container_format,
       min_disk, min_ram, created_at
     FROM images WHERE id = ? AND deleted = 0 AND status NOT IN ('deleted', 'pending_delete')`,
  );
  const selectTags = db.prepare('SELECT value FROM image_tags WHERE image_id = ? AND deleted = 0 ORDER BY position').pluck();
  const selectProperties = db
    .prepare('SELECT name, value FROM image_properties WHERE image_id = ? AND deleted = 0 ORDER BY position')
    .raw();
  const selectActiveLocations = db
    .prepare("SELECT id, url FROM image_locations WHERE image_id = ? AND deleted = 0 AND status = 'active' ORDER BY position")
    .raw();
  const markDeleted = db.prepare(
    `UPDATE images SET status_before_delete = status, status = 'deleted', deleted = 1, deleted_at = ?, updated_at = ?
     WHERE id = ? AND deleted = 0 AND protected = 0 AND status NOT IN ('deleted', 'pending_delete')`,
  );
  const insertJob = db.prepare(
    "INSERT INTO data_deletion_jobs (id, image_id, location_id, url, state, attempts, available_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?)",
  );
  const insertEvent = db.prepare(
    "INSERT INTO outbox_events (id, type, image_id, payload, occurred_at, available_at) VALUES (?, 'image.delete', ?, ?, ?, ?)",
  );

  function inTransaction(imageId: string, projectId: string): RawDeleteOutcome {
    const image = selectImage.get(imageId) as ImageRow | undefined;
    if (image === undefined) return 'not-found';
    if (image.owner !== projectId) return 'forbidden';
    if (image.protected === 1) return 'protected';
    const tags = selectTags.all(imageId) as string[];
    const properties = selectProperties.all(imageId) as [string, string][];
    const locations = selectActiveLocations.all(imageId) as [string, string][];

    const at = now();
    if (markDeleted.run(at, at, imageId).changes !== 1) return 'not-found';
    for (const [locationId, url] of locations) insertJob.run(newId(), imageId, locationId, url, at + leaseMs, at, at);

    const payload = {
      id: image.id,
      name: image.name,
      status: 'deleted',
      created_at: isoTime(image.created_at),
      updated_at: isoTime(at),
      min_disk: image.min_disk,
      min_ram: image.min_ram,
      protected: false,
      checksum: image.checksum,
      owner: image.owner,
      disk_format: image.disk_format,
      container_format: image.container_format,
      size: image.size,
      virtual_size: image.virtual_size,
      is_public: image.visibility === 'public',
      visibility: image.visibility,
      properties: Object.fromEntries(properties),
      tags,
      deleted: true,
      deleted_at: isoTime(at),
    };
    insertEvent.run(newId(), imageId, JSON.stringify(payload), at, at);
    return 'deleted';
  }

  return (imageId, projectId) => {
    begin.run();
    let outcome: RawDeleteOutcome;
    try {
      outcome = inTransaction(imageId, projectId);
    } catch (cause) {
      if (db.inTransaction) rollback.run();
      throw cause;
    }
    if (outcome === 'deleted') commit.run();
    else rollback.run();
    return outcome;
  };
}
