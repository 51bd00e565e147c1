// Versioned schema migrations: each applied once, in its own BEGIN IMMEDIATE transaction.
import type BetterSqlite3 from 'better-sqlite3';

export interface Migration {
  /** Strictly increasing, starting at 1. Never renumber or edit a released migration; append. */
  readonly version: number;
  readonly name: string;
  /** SQL run as one script inside the migration's transaction (no BEGIN/COMMIT of its own). */
  readonly up: string;
}

/*
 * Schema decisions (version 1):
 * - Timestamps are INTEGER milliseconds since the epoch (UTC) everywhere: compact, indexable,
 *   compared numerically; ISO strings exist only in the outbox payload, as Glance prints them.
 * - `images` keeps a rowid (`seq`) besides its text id so "oldest first" is insertion order even
 *   when many images share a creation millisecond. `deleted` mirrors the status (1 for `deleted`
 *   and `pending_delete`); partial indexes on live rows serve listing and the name filter.
 * - Child rows are never removed: a delete marks them `deleted = 1` with the image's
 *   `deleted_at`, so a deleted image reads back as it was, and a restore can undo exactly that
 *   cascade. `position` keeps the caller's order of tags, properties, members and locations.
 *   (Version 3 changes this: a delete no longer writes the children.)
 * - Jobs and outbox events keep a rowid sequence; the outbox one is AUTOINCREMENT so it never
 *   goes back even if a host prunes delivered events: it is the commit order consumers rely on.
 */
const V1_INITIAL_SCHEMA = `
CREATE TABLE images (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  name TEXT,
  owner TEXT,
  status TEXT NOT NULL CHECK (status IN ('queued','saving','uploading','importing','active','killed','deactivated','deleted','pending_delete')),
  status_before_delete TEXT,
  visibility TEXT NOT NULL CHECK (visibility IN ('public','private','shared','community')),
  protected INTEGER NOT NULL DEFAULT 0 CHECK (protected IN (0, 1)),
  size INTEGER,
  virtual_size INTEGER,
  checksum TEXT,
  os_hash_algo TEXT,
  os_hash_value TEXT,
  disk_format TEXT,
  container_format TEXT,
  min_disk INTEGER NOT NULL DEFAULT 0,
  min_ram INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  deleted_at INTEGER
);
CREATE INDEX images_live_by_created ON images (created_at) WHERE deleted = 0;
CREATE INDEX images_live_by_name ON images (name, created_at) WHERE deleted = 0;

CREATE TABLE image_properties (
  image_id TEXT NOT NULL REFERENCES images (id),
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  position INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  deleted_at INTEGER,
  PRIMARY KEY (image_id, name)
) WITHOUT ROWID;

CREATE TABLE image_tags (
  image_id TEXT NOT NULL REFERENCES images (id),
  value TEXT NOT NULL,
  position INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  deleted_at INTEGER,
  PRIMARY KEY (image_id, value)
) WITHOUT ROWID;

CREATE TABLE image_members (
  image_id TEXT NOT NULL REFERENCES images (id),
  member_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending','accepted','rejected')),
  position INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  deleted_at INTEGER,
  PRIMARY KEY (image_id, member_id)
) WITHOUT ROWID;

CREATE TABLE image_locations (
  image_id TEXT NOT NULL REFERENCES images (id),
  id TEXT NOT NULL,
  url TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL CHECK (status IN ('active','pending_delete','deleted')),
  position INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  deleted_at INTEGER,
  PRIMARY KEY (image_id, id)
) WITHOUT ROWID;

CREATE TABLE data_deletion_jobs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  image_id TEXT NOT NULL REFERENCES images (id),
  location_id TEXT NOT NULL,
  url TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued','done','dead','cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  available_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX data_deletion_jobs_by_state ON data_deletion_jobs (state, available_at);
CREATE INDEX data_deletion_jobs_by_image ON data_deletion_jobs (image_id);

CREATE TABLE outbox_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  image_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  occurred_at INTEGER NOT NULL,
  available_at INTEGER NOT NULL,
  delivered_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE INDEX outbox_events_pending ON outbox_events (seq, available_at) WHERE delivered_at IS NULL;
CREATE INDEX outbox_events_by_image ON outbox_events (image_id);
`;

/*
 * Version 2: `data_deletion_jobs.claimed_at`, when `claimDue` first handed the job out (NULL while
 * it never has). A restore is refused once any job of the image has been claimed: from the claim
 * on, a scrubber may be deleting its data even though the job is still `queued`.
 * Jobs written before this version carry no marker, so the backfill marks every queued or dead
 * job that shows it was handed out before — a failed attempt (`attempts > 0`) or any change since
 * it was queued (`updated_at > created_at`: only a claim, a failure or a requeue of a dead job
 * touch a queued job) — with its `updated_at`. Conservative: a job it marks by mistake only
 * stops a restore, never lets data be deleted under a live image.
 */
const V2_JOB_CLAIMED_AT = `
ALTER TABLE data_deletion_jobs ADD COLUMN claimed_at INTEGER;
UPDATE data_deletion_jobs SET claimed_at = updated_at
  WHERE state IN ('queued', 'dead') AND (attempts > 0 OR updated_at > created_at);
`;

/*
 * Version 3: a delete writes only the image row, its jobs and its event, whatever the number of
 * properties, tags, members and locations: the image's state alone hides its children (a
 * deleted image's `active` locations read `pending_delete`), and the scrubber purges the children
 * of finally deleted images later (`purgeDeletedChildren`).
 * - Children an older version soft-deleted with their image (the same `deleted_at`) are made
 *   plain rows again, and their `pending_delete` locations `active`: they read exactly as before,
 *   and a restore has nothing but the image row and the jobs to undo.
 * - `images.children_purged`: the purge is done with this image. The partial index holds only
 *   the deleted images still to purge, oldest delete first, so a purge never scans the others.
 */
const V3_CHILDREN_THROUGH_THEIR_IMAGE = `
${['image_properties', 'image_tags', 'image_members']
  .map(
    (table) => `UPDATE ${table} SET deleted = 0, deleted_at = NULL
  WHERE deleted = 1 AND deleted_at = (SELECT i.deleted_at FROM images i WHERE i.id = ${table}.image_id);`,
  )
  .join('\n')}
UPDATE image_locations SET status = CASE status WHEN 'pending_delete' THEN 'active' ELSE status END, deleted = 0, deleted_at = NULL
  WHERE deleted = 1 AND deleted_at = (SELECT i.deleted_at FROM images i WHERE i.id = image_locations.image_id);
ALTER TABLE images ADD COLUMN children_purged INTEGER NOT NULL DEFAULT 0 CHECK (children_purged IN (0, 1));
CREATE INDEX images_children_to_purge ON images (deleted_at) WHERE status = 'deleted' AND children_purged = 0;
`;

/*
 * Version 4: a listing filtered by who may see it (`listImages({ visibleTo })`) reaches its rows
 * through indexes: the caller's own images by owner, public and community ones by visibility,
 * shared ones through the member's project. Each keeps the listing order (created_at, then seq).
 */
const V4_LISTING_BY_VISIBILITY = `
CREATE INDEX images_live_by_owner ON images (owner, created_at) WHERE deleted = 0;
CREATE INDEX images_live_by_visibility ON images (visibility, created_at) WHERE deleted = 0;
CREATE INDEX image_members_by_member ON image_members (member_id, image_id);
`;

/*
 * Version 5: a name-filtered listing of what a project may see (`listImages({ name, visibleTo })`)
 * stays bounded by its page size: the owner's and the public/community branches find the images
 * of that name in listing order (created_at, then seq, SQLite's rowid at the end of every index)
 * instead of walking all the owner's, or all public, images for the few with that name.
 */
const V5_NAMED_LISTING_BY_VISIBILITY = `
CREATE INDEX images_live_by_owner_name ON images (owner, name, created_at) WHERE deleted = 0;
CREATE INDEX images_live_by_visibility_name ON images (visibility, name, created_at) WHERE deleted = 0;
`;

/** Every migration, oldest first. Later versions append here. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', up: V1_INITIAL_SCHEMA },
  { version: 2, name: 'data-deletion job claim marker', up: V2_JOB_CLAIMED_AT },
  { version: 3, name: 'children read through their image, purged later', up: V3_CHILDREN_THROUGH_THEIR_IMAGE },
  { version: 4, name: 'listing indexes by owner, visibility and member', up: V4_LISTING_BY_VISIBILITY },
  { version: 5, name: 'name-filtered listing indexes by owner and visibility', up: V5_NAMED_LISTING_BY_VISIBILITY },
];

export interface MigrationReport {
  /** Versions this call applied (empty when the schema was already current). */
  readonly applied: readonly number[];
  /** The highest version recorded in the database afterwards. */
  readonly version: number;
}

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (!Number.isInteger(m.version) || m.version < 1 || (i > 0 && m.version <= (migrations[i - 1]?.version ?? 0))) {
      throw new RangeError(`migrations must have strictly increasing positive integer versions (at ${m.name})`);
    }
  });
}

/** Versions recorded as applied; empty for a fresh database. */
export function appliedVersions(db: BetterSqlite3.Database): Set<number> {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return new Set();
  const rows = db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[];
  return new Set(rows);
}

/** Migrations not yet applied to `db`. */
export function pendingMigrations(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  const applied = appliedVersions(db);
  return migrations.filter((m) => !applied.has(m.version));
}

/**
 * Applies pending migrations, each in its own BEGIN IMMEDIATE transaction that re-checks whether
 * the version is recorded: two processes starting at once serialise on the write lock, and the
 * second finds the work done. Throws on failure (a setup step, not a port call).
 */
export function migrate(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS): MigrationReport {
  checkOrder(migrations);
  const applied: number[] = [];
  for (const migration of pendingMigrations(db, migrations)) {
    const ran = db
      .transaction(() => {
        db.exec(CREATE_MIGRATIONS_TABLE);
        const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
        if (done !== undefined) return false;
        db.exec(migration.up);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          migration.version,
          migration.name,
          Date.now(),
        );
        return true;
      })
      .immediate();
    if (ran) applied.push(migration.version);
  }
  const versions = appliedVersions(db);
  return { applied, version: versions.size === 0 ? 0 : Math.max(...versions) };
}
