// The issue-9 baseline on PostgreSQL: the same guarded soft-delete UPDATE plus one outbox INSERT, one transaction, with `pg`.
import type pg from 'pg';

/** The schema the example service migrates into (`@image-catalog/postgres`'s default). */
export const EXAMPLE_PG_SCHEMA = 'image_catalog';

interface DeletedRow {
  id: string;
  name: string | null;
  owner: string | null;
  visibility: string;
  size: string | null;
  virtual_size: string | null;
  checksum: string | null;
  disk_format: string | null;
  container_format: string | null;
  min_disk: number;
  min_ram: number;
  created_at: Date;
}

const isoTime = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

/**
 * BEGIN; `UPDATE images SET status='deleted', deleted=true, deleted_at=$1, updated_at=$1 WHERE id=$2
 * AND NOT deleted RETURNING ...`; `INSERT INTO outbox_events ...`; COMMIT, on one pooled client,
 * as named (prepared) statements. Answers whether a live image was deleted; rejects with what `pg`
 * rejects (after rolling back).
 */
export function createMinimalPostgresDelete(pool: pg.Pool, schema = EXAMPLE_PG_SCHEMA): (imageId: string) => Promise<boolean> {
  const markDeleted = {
    name: 'bench_minimal_mark_deleted',
    text: `UPDATE "${schema}".images SET status = 'deleted', deleted = true, deleted_at = $1, updated_at = $1 WHERE id = $2 AND NOT deleted
           RETURNING id, name, owner, visibility, size, virtual_size, checksum, disk_format, container_format, min_disk, min_ram, created_at`,
  };
  const insertEvent = {
    name: 'bench_minimal_insert_event',
    text: `INSERT INTO "${schema}".outbox_events (id, type, image_id, payload, occurred_at, available_at) VALUES ($1, 'image.delete', $2, $3, $4, $4)`,
  };
  return async (imageId) => {
    const client = await pool.connect();
    let release: Error | undefined;
    try {
      await client.query('BEGIN');
      const at = new Date();
      const { rows } = await client.query<DeletedRow>({ ...markDeleted, values: [at, imageId] });
      const row = rows[0];
      if (row === undefined) {
        await client.query('ROLLBACK');
        return false;
      }
      const payload = JSON.stringify({
        ...row,
        size: row.size === null ? null : Number(row.size),
        virtual_size: row.virtual_size === null ? null : Number(row.virtual_size),
        status: 'deleted',
        created_at: isoTime(row.created_at),
        updated_at: isoTime(at),
        deleted: true,
        deleted_at: isoTime(at),
      });
      await client.query({ ...insertEvent, values: [globalThis.crypto.randomUUID(), imageId, payload, at] });
      await client.query('COMMIT');
      return true;
    } catch (cause) {
      // A connection in an unknown state goes back to the pool destroyed, not reused.
      release = cause instanceof Error ? cause : new Error(String(cause));
      await client.query('ROLLBACK').catch(() => undefined);
      throw cause;
    } finally {
      client.release(release);
    }
  };
}
