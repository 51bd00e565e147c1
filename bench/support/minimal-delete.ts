// The issue-9 baseline on SQLite: one guarded soft-delete UPDATE plus one outbox INSERT in one transaction, nothing else.
import type BetterSqlite3 from 'better-sqlite3';

export interface MinimalDeleteOptions {
  /** Id of the outbox event (default: a random UUID). */
  readonly newId?: () => string;
  /** "now" in epoch milliseconds (default: `Date.now()`). */
  readonly now?: () => number;
}

/** The columns the guarded UPDATE returns for the event payload, so the event names the image without a read. */
interface DeletedRow {
  id: string;
  name: string | null;
  owner: string | null;
  visibility: string;
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
 * The least a hand-written delete can do and still be a soft delete with an event: BEGIN IMMEDIATE,
 * `UPDATE images SET status='deleted', deleted=1, deleted_at=?, updated_at=? WHERE id=? AND deleted=0`
 * (with `RETURNING` for the payload), one `INSERT` into `outbox_events`, COMMIT. No owner or
 * protection check, no children, no jobs: the floor the issue measures the library against.
 * Answers whether a live image was deleted; throws what SQLite throws (after rolling back).
 */
export function createMinimalDelete(db: BetterSqlite3.Database, options: MinimalDeleteOptions = {}): (imageId: string) => boolean {
  const newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  const now = options.now ?? Date.now;
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const markDeleted = db.prepare(
    `UPDATE images SET status = 'deleted', deleted = 1, deleted_at = ?, updated_at = ? WHERE id = ? AND deleted = 0
     RETURNING id, name, owner, visibility, size, virtual_size, checksum, disk_format, container_format, min_disk, min_ram, created_at`,
  );
  const insertEvent = db.prepare(
    "INSERT INTO outbox_events (id, type, image_id, payload, occurred_at, available_at) VALUES (?, 'image.delete', ?, ?, ?, ?)",
  );

  return (imageId) => {
    begin.run();
    try {
      const at = now();
      const row = markDeleted.get(at, at, imageId) as DeletedRow | undefined;
      if (row === undefined) {
        rollback.run();
        return false;
      }
      const payload = JSON.stringify({
        ...row,
        status: 'deleted',
        created_at: isoTime(row.created_at),
        updated_at: isoTime(at),
        deleted: true,
        deleted_at: isoTime(at),
      });
      insertEvent.run(newId(), imageId, payload, at, at);
      commit.run();
      return true;
    } catch (cause) {
      if (db.inTransaction) rollback.run();
      throw cause;
    }
  };
}
