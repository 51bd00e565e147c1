// Versioned schema migrations, applied in one transaction under an advisory lock so concurrent starts are safe.
import type { PgPool } from './pg-pool.js';
import { DEFAULT_SCHEMA, schemaName } from './schema-name.js';

export interface PostgresMigration {
  /** Strictly increasing, starting at 1. Never renumber or edit a released migration; append. */
  readonly version: number;
  readonly name: string;
  /** SQL for the (already quoted) schema `s`, run inside the migration transaction (no BEGIN/COMMIT of its own). */
  readonly up: (s: string) => string;
}

/*
 * Schema decisions (version 1):
 * - Timestamps are `timestamptz`: JavaScript `Date`s round-trip exactly (milliseconds fit in
 *   microseconds) and operators read them as times. ISO strings exist only in event payloads.
 * - `images.seq` (identity) orders "oldest first" when many images share a creation time.
 *   `deleted` mirrors the status (true for `deleted` and `pending_delete`).
 * - `images.row_version` is bumped by every write to an image or its children. The delete reads
 *   the image, decides, and commits one statement guarded by `row_version`: if anything changed in
 *   between, nothing is written and it decides again. No lock is held while the use case thinks.
 * - Child rows are never removed: a delete marks them `deleted` with the image's `deleted_at`, so a
 *   deleted image reads back as it was and a restore undoes exactly that cascade. (Version 3
 *   changes this: a delete no longer writes the children.)
 * - Jobs count their claims (`claims`, `claimed_at`): once a scrubber has claimed one, the data
 *   may be going right now, so the image can no longer be restored.
 * - Outbox `seq` is the order events are offered in. Jobs and events reference their image.
 */
const V1_CATALOG = (s: string) => `
CREATE TABLE ${s}.images (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  name text,
  owner text,
  status text NOT NULL CHECK (status IN ('queued','saving','uploading','importing','active','killed','deactivated','deleted','pending_delete')),
  status_before_delete text,
  visibility text NOT NULL CHECK (visibility IN ('public','private','shared','community')),
  protected boolean NOT NULL DEFAULT false,
  size bigint,
  virtual_size bigint,
  checksum text,
  os_hash_algo text,
  os_hash_value text,
  disk_format text,
  container_format text,
  min_disk integer NOT NULL DEFAULT 0,
  min_ram integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  deleted_at timestamptz,
  row_version bigint NOT NULL DEFAULT 0
);
CREATE INDEX images_live_by_created ON ${s}.images (created_at, seq) WHERE NOT deleted;
CREATE INDEX images_live_by_name ON ${s}.images (name, created_at, seq) WHERE NOT deleted;

CREATE TABLE ${s}.image_properties (
  image_id text NOT NULL REFERENCES ${s}.images (id),
  name text NOT NULL,
  value text NOT NULL,
  position integer NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  deleted_at timestamptz,
  PRIMARY KEY (image_id, name)
);

CREATE TABLE ${s}.image_tags (
  image_id text NOT NULL REFERENCES ${s}.images (id),
  value text NOT NULL,
  position integer NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  deleted_at timestamptz,
  PRIMARY KEY (image_id, value)
);

CREATE TABLE ${s}.image_members (
  image_id text NOT NULL REFERENCES ${s}.images (id),
  member_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending','accepted','rejected')),
  position integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  deleted_at timestamptz,
  PRIMARY KEY (image_id, member_id)
);

CREATE TABLE ${s}.image_locations (
  image_id text NOT NULL REFERENCES ${s}.images (id),
  id text NOT NULL,
  url text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL CHECK (status IN ('active','pending_delete','deleted')),
  position integer NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  deleted_at timestamptz,
  PRIMARY KEY (image_id, id)
);

CREATE TABLE ${s}.data_deletion_jobs (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  image_id text NOT NULL REFERENCES ${s}.images (id),
  location_id text NOT NULL,
  url text NOT NULL,
  state text NOT NULL CHECK (state IN ('queued','done','dead','cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  available_at timestamptz NOT NULL,
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  claims integer NOT NULL DEFAULT 0,
  claimed_at timestamptz
);
CREATE INDEX data_deletion_jobs_due ON ${s}.data_deletion_jobs (available_at) WHERE state = 'queued';
CREATE INDEX data_deletion_jobs_by_image ON ${s}.data_deletion_jobs (image_id);
CREATE INDEX data_deletion_jobs_by_state ON ${s}.data_deletion_jobs (state, created_at, seq);

CREATE TABLE ${s}.outbox_events (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY,
  type text NOT NULL,
  image_id text NOT NULL REFERENCES ${s}.images (id),
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL,
  available_at timestamptz NOT NULL,
  delivered_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX outbox_events_pending ON ${s}.outbox_events (seq) WHERE delivered_at IS NULL;
CREATE INDEX outbox_events_by_image ON ${s}.outbox_events (image_id);
`;

/** The shared rate limiter's state: one fixed window per key. */
const V2_RATE_LIMITS = (s: string) => `
CREATE TABLE ${s}.rate_limit_windows (
  key text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  hits integer NOT NULL
);
CREATE INDEX rate_limit_windows_by_start ON ${s}.rate_limit_windows (window_start);
`;

/*
 * Version 3: a delete writes only the image row, its jobs and its event, whatever the number of
 * properties, tags, members and locations: the image's state alone hides its children (a
 * deleted image's `active` locations read `pending_delete`), and the scrubber purges the children
 * of finally deleted images later (`purgeDeletedChildren`).
 * - Children an older version soft-deleted with their image (the same `deleted_at`) become plain
 *   rows again, their `pending_delete` locations `active`: they read exactly as before, and a
 *   restore has nothing but the image row and the jobs to undo.
 * - `images.children_purged`: the purge is done with this image. The partial index holds only
 *   the deleted images still to purge, oldest delete first, so a purge never scans the others.
 */
const V3_CHILDREN_THROUGH_THEIR_IMAGE = (s: string) => `
${['image_properties', 'image_tags', 'image_members']
  .map(
    (table) =>
      `UPDATE ${s}.${table} c SET deleted = false, deleted_at = NULL FROM ${s}.images i WHERE i.id = c.image_id AND c.deleted AND c.deleted_at = i.deleted_at;`,
  )
  .join('\n')}
UPDATE ${s}.image_locations c SET status = CASE c.status WHEN 'pending_delete' THEN 'active' ELSE c.status END, deleted = false, deleted_at = NULL
  FROM ${s}.images i WHERE i.id = c.image_id AND c.deleted AND c.deleted_at = i.deleted_at;
ALTER TABLE ${s}.images ADD COLUMN children_purged boolean NOT NULL DEFAULT false;
CREATE INDEX images_children_to_purge ON ${s}.images (deleted_at, seq) WHERE status = 'deleted' AND NOT children_purged;
`;

/*
 * Version 4: a listing filtered by who may see it (`listImages({ visibleTo })`) reaches its rows
 * through indexes: the caller's own images by owner, public and community ones by visibility,
 * shared ones through the member's project. Each keeps the listing order (created_at, then seq).
 */
const V4_LISTING_BY_VISIBILITY = (s: string) => `
CREATE INDEX images_live_by_owner ON ${s}.images (owner, created_at, seq) WHERE NOT deleted;
CREATE INDEX images_live_by_visibility ON ${s}.images (visibility, created_at, seq) WHERE NOT deleted;
CREATE INDEX image_members_by_member ON ${s}.image_members (member_id, image_id);
`;

/*
 * Version 5: a name-filtered listing of what a project may see (`listImages({ name, visibleTo })`)
 * stays bounded by its page size: the owner's and the public/community branches find the images
 * of that name in listing order instead of walking all the owner's, or all public, images.
 */
const V5_NAMED_LISTING_BY_VISIBILITY = (s: string) => `
CREATE INDEX images_live_by_owner_name ON ${s}.images (owner, name, created_at, seq) WHERE NOT deleted;
CREATE INDEX images_live_by_visibility_name ON ${s}.images (visibility, name, created_at, seq) WHERE NOT deleted;
`;

/** Every migration, oldest first. Later versions append here. */
export const MIGRATIONS: readonly PostgresMigration[] = [
  { version: 1, name: 'catalog, data-deletion jobs, outbox', up: V1_CATALOG },
  { version: 2, name: 'rate limiter windows', up: V2_RATE_LIMITS },
  { version: 3, name: 'children read through their image, purged later', up: V3_CHILDREN_THROUGH_THEIR_IMAGE },
  { version: 4, name: 'listing indexes by owner, visibility and member', up: V4_LISTING_BY_VISIBILITY },
  { version: 5, name: 'name-filtered listing indexes by owner and visibility', up: V5_NAMED_LISTING_BY_VISIBILITY },
];

export interface MigrateOptions {
  /** Schema to create and migrate (default `image_catalog`). */
  readonly schema?: string;
  readonly migrations?: readonly PostgresMigration[];
}

export interface MigrationReport {
  /** Versions this call applied (empty when the schema was already current). */
  readonly applied: readonly number[];
  /** The highest version recorded afterwards. */
  readonly version: number;
}

/** Advisory-lock class of this package's migrations; the second key is the schema's hash. */
const MIGRATION_LOCK_CLASS = 0x1c_a7a1;

function checkOrder(migrations: readonly PostgresMigration[]): void {
  migrations.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version < 1 || (i > 0 && m.version <= (migrations[i - 1]?.version ?? 0))) {
      throw new RangeError(`migrations must have strictly increasing positive integer versions (at ${m.name})`);
    }
  });
}

/**
 * Creates the schema if needed and applies the pending migrations, all in one transaction that
 * first takes a transaction-level advisory lock for this schema: processes starting at once
 * queue on the lock, and each later one finds the work done. DDL is transactional in
 * PostgreSQL, so a failing migration leaves nothing behind. Rejects on failure (a start-up step,
 * not a port call).
 */
export async function migrate(pool: PgPool, options: MigrateOptions = {}): Promise<MigrationReport> {
  const schema = schemaName(options.schema ?? DEFAULT_SCHEMA);
  const migrations = options.migrations ?? MIGRATIONS;
  checkOrder(migrations);
  const s = schema.sql;
  const client = await pool.connect();
  let destroy = false;
  const onError = () => {
    destroy = true;
  };
  client.on('error', onError);
  try {
    await client.query({ text: 'BEGIN' });
    await client.query({ text: 'SELECT pg_advisory_xact_lock($1, hashtext($2))', values: [MIGRATION_LOCK_CLASS, schema.name] });
    await client.query({ text: `CREATE SCHEMA IF NOT EXISTS ${s}` });
    await client.query({
      text: `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    });
    const recorded = await client.query<{ version: number }>({ text: `SELECT version FROM ${s}.schema_migrations` });
    const done = new Set(recorded.rows.map((r) => r.version));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await client.query({ text: migration.up(s) });
      await client.query({
        text: `INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`,
        values: [migration.version, migration.name],
      });
      applied.push(migration.version);
      done.add(migration.version);
    }
    await client.query({ text: 'COMMIT' });
    return { applied, version: done.size === 0 ? 0 : Math.max(...done) };
  } catch (cause) {
    await client.query({ text: 'ROLLBACK' }).catch(() => {
      destroy = true;
    });
    throw cause;
  } finally {
    client.removeListener('error', onError);
    client.release(destroy);
  }
}

/** Versions recorded as applied in `schema` (empty when the schema or its table does not exist yet). */
export async function appliedVersions(pool: PgPool, options: Pick<MigrateOptions, 'schema'> = {}): Promise<number[]> {
  const schema = schemaName(options.schema ?? DEFAULT_SCHEMA);
  const exists = await pool.query<{ present: boolean }>({
    text: `SELECT to_regclass($1) IS NOT NULL AS present`,
    values: [`${schema.sql}.schema_migrations`],
  });
  if (!exists.rows[0]?.present) return [];
  const rows = await pool.query<{ version: number }>({ text: `SELECT version FROM ${schema.sql}.schema_migrations ORDER BY version` });
  return rows.rows.map((r) => r.version);
}

/** Migrations not yet applied to `schema`. */
export async function pendingMigrations(pool: PgPool, options: MigrateOptions = {}): Promise<PostgresMigration[]> {
  const applied = new Set(await appliedVersions(pool, options));
  return (options.migrations ?? MIGRATIONS).filter((m) => !applied.has(m.version));
}
