// Versioned schema migrations for MariaDB, applied in order under a server-wide lock so that processes starting together apply each once.
import type { MysqlPool, MysqlPoolConnection } from './mysql-connection.js';
import { assertSupportedServer } from './server-version.js';

export interface MysqlMigration {
  /** Strictly increasing, starting at 1. Never renumber or edit a released migration; append. */
  readonly version: number;
  readonly name: string;
  /**
   * Statements run one after another. MariaDB commits DDL implicitly, so a migration cannot be
   * rolled back: every statement must be safe to run again (IF NOT EXISTS), so that a migration
   * interrupted half-way completes when it is applied again.
   */
  readonly up: readonly string[];
}

/*
 * Schema decisions (version 1), translated from the reference schema (the SQLite adapter's):
 * - InnoDB, utf8mb4 with the binary NO PAD collation (utf8mb4_nopad_bin) on every table and
 *   column: ids, names, tags, property names and member ids compare and key exactly, code point
 *   by code point (case, trailing spaces and Unicode normalisation all count), as in the SQLite
 *   reference. MariaDB's utf8mb4_bin is PAD SPACE ('arch' = 'arch ', a duplicate key).
 *   A JSON column defaults to utf8mb4_bin whatever the table's collation, so `metadata` and
 *   `payload` name the collation too: JSON_ARRAY/JSON_ARRAYAGG refuse to mix two collations.
 *   Bound values and literals are coercible, so the column's collation decides every comparison
 *   whatever the connection's collation_connection.
 * - Times are BIGINT epoch milliseconds (UTC) everywhere: no time zone conversion by server or
 *   driver; ISO strings exist only in the outbox payload.
 * - `images.seq` and the jobs' and events' `seq` are AUTO_INCREMENT keys: insertion order, so
 *   "oldest first" holds when many rows share a millisecond. InnoDB keeps the counter across
 *   restarts (MariaDB 10.2.4+), so the outbox sequence never goes back.
 * - `deleted` mirrors the status (TRUE for `deleted` and `pending_delete`); MariaDB has no partial
 *   indexes, so the listing indexes lead with it.
 * - Child rows are never removed: a delete marks them with the image's `deleted_at`, a restore
 *   undoes exactly that. `position` keeps the caller's order. (Version 2 changes this: a delete
 *   no longer writes the children.)
 * - `data_deletion_jobs.claimed_at`: when `claimDue` first handed the job out; a restore is
 *   refused from then on.
 * - InnoDB locks index records as a statement scans them. The claim indexes follow the hand-out
 *   order (`(state, created_at)` + seq, `(delivered_at, seq)`), so `FOR UPDATE SKIP LOCKED … LIMIT n`
 *   locks only the rows it hands out (a filesort would lock every due row and starve concurrent
 *   claimers). Statements that lock by id name the id index (FORCE INDEX): reaching the image row
 *   through another index takes its locks in another order and deadlocks against a delete.
 */
const COLLATION = 'utf8mb4_nopad_bin';
const TABLE_OPTIONS = `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${COLLATION}`;

const V1_INITIAL_SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS images (
    seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NULL,
    owner VARCHAR(255) NULL,
    status VARCHAR(16) NOT NULL,
    status_before_delete VARCHAR(16) NULL,
    visibility VARCHAR(16) NOT NULL,
    protected BOOLEAN NOT NULL DEFAULT FALSE,
    size BIGINT NULL,
    virtual_size BIGINT NULL,
    checksum VARCHAR(255) NULL,
    os_hash_algo VARCHAR(64) NULL,
    os_hash_value VARCHAR(255) NULL,
    disk_format VARCHAR(64) NULL,
    container_format VARCHAR(64) NULL,
    min_disk INT NOT NULL DEFAULT 0,
    min_ram INT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at BIGINT NULL,
    PRIMARY KEY (seq),
    UNIQUE KEY images_id (id),
    KEY images_live_by_created (deleted, created_at),
    KEY images_live_by_name (deleted, name, created_at),
    KEY images_live_by_owner (deleted, owner, created_at),
    KEY images_live_by_visibility (deleted, visibility, created_at),
    CONSTRAINT images_status CHECK (
      status IN ('queued','saving','uploading','importing','active','killed','deactivated','deleted','pending_delete')
    ),
    CONSTRAINT images_visibility CHECK (visibility IN ('public','private','shared','community'))
  ) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS image_properties (
    image_id VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    value MEDIUMTEXT NOT NULL, -- up to 65 535 characters (TEXT holds 65 535 bytes)
    position INT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at BIGINT NULL,
    PRIMARY KEY (image_id, name),
    CONSTRAINT image_properties_image FOREIGN KEY (image_id) REFERENCES images (id)
  ) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS image_tags (
    image_id VARCHAR(255) NOT NULL,
    value VARCHAR(255) NOT NULL,
    position INT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at BIGINT NULL,
    PRIMARY KEY (image_id, value),
    CONSTRAINT image_tags_image FOREIGN KEY (image_id) REFERENCES images (id)
  ) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS image_members (
    image_id VARCHAR(255) NOT NULL,
    member_id VARCHAR(255) NOT NULL,
    status VARCHAR(16) NOT NULL,
    position INT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at BIGINT NULL,
    PRIMARY KEY (image_id, member_id),
    KEY image_members_by_member (member_id, image_id),
    CONSTRAINT image_members_image FOREIGN KEY (image_id) REFERENCES images (id),
    CONSTRAINT image_members_status CHECK (status IN ('pending','accepted','rejected'))
  ) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS image_locations (
    image_id VARCHAR(255) NOT NULL,
    id VARCHAR(255) NOT NULL,
    url TEXT NOT NULL,
    metadata JSON COLLATE ${COLLATION} NOT NULL,
    status VARCHAR(16) NOT NULL,
    position INT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at BIGINT NULL,
    PRIMARY KEY (image_id, id),
    CONSTRAINT image_locations_image FOREIGN KEY (image_id) REFERENCES images (id),
    CONSTRAINT image_locations_status CHECK (status IN ('active','pending_delete','deleted'))
  ) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS data_deletion_jobs (
    seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    id VARCHAR(255) NOT NULL,
    image_id VARCHAR(255) NOT NULL,
    location_id VARCHAR(255) NOT NULL,
    url TEXT NOT NULL,
    state VARCHAR(16) NOT NULL,
    attempts INT NOT NULL DEFAULT 0,
    available_at BIGINT NOT NULL,
    last_error TEXT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    claimed_at BIGINT NULL,
    PRIMARY KEY (seq),
    UNIQUE KEY data_deletion_jobs_id (id),
    KEY data_deletion_jobs_claim_order (state, created_at),
    KEY data_deletion_jobs_by_image (image_id),
    CONSTRAINT data_deletion_jobs_image FOREIGN KEY (image_id) REFERENCES images (id),
    CONSTRAINT data_deletion_jobs_state CHECK (state IN ('queued','done','dead','cancelled'))
  ) ${TABLE_OPTIONS}`,
  `CREATE TABLE IF NOT EXISTS outbox_events (
    seq BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    id VARCHAR(255) NOT NULL,
    type VARCHAR(64) NOT NULL,
    image_id VARCHAR(255) NOT NULL,
    payload JSON COLLATE ${COLLATION} NOT NULL,
    occurred_at BIGINT NOT NULL,
    available_at BIGINT NOT NULL,
    delivered_at BIGINT NULL,
    attempts INT NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    PRIMARY KEY (seq),
    UNIQUE KEY outbox_events_id (id),
    KEY outbox_events_pending (delivered_at, seq),
    KEY outbox_events_by_image (image_id)
  ) ${TABLE_OPTIONS}`,
];

/*
 * Version 2: a delete writes only the image row, its jobs and its event, whatever the number of
 * properties, tags, members and locations: the image's state alone hides its children (a
 * deleted image's `active` locations read `pending_delete`), and the scrubber purges the children
 * of finally deleted images later (`purgeDeletedChildren`).
 * - Children version 1 soft-deleted with their image (the same `deleted_at`) become plain rows
 *   again, their `pending_delete` locations `active`: they read exactly as before, and a restore
 *   has nothing but the image row and the jobs to undo. Each UPDATE only touches rows still
 *   marked, so running it again is harmless.
 * - `images.children_purged`: the purge is done with this image. The purge scans
 *   `images_children_to_purge` in its order (`status`, `children_purged` equal, then oldest
 *   delete first), so it reads only deleted images still to purge.
 */
const V2_CHILDREN_THROUGH_THEIR_IMAGE: readonly string[] = [
  ...['image_properties', 'image_tags', 'image_members'].map(
    (table) => `UPDATE ${table} c JOIN images i ON i.id = c.image_id SET c.deleted = FALSE, c.deleted_at = NULL
     WHERE c.deleted = TRUE AND c.deleted_at = i.deleted_at`,
  ),
  // Left to right: the status is set while c.deleted is still TRUE, from the status as it was.
  `UPDATE image_locations c JOIN images i ON i.id = c.image_id
     SET c.status = IF(c.status = 'pending_delete', 'active', c.status), c.deleted = FALSE, c.deleted_at = NULL
   WHERE c.deleted = TRUE AND c.deleted_at = i.deleted_at`,
  'ALTER TABLE images ADD COLUMN IF NOT EXISTS children_purged BOOLEAN NOT NULL DEFAULT FALSE',
  'CREATE INDEX IF NOT EXISTS images_children_to_purge ON images (status, children_purged, deleted_at)',
];

/*
 * Version 3: `project_quota_locks`, one row per project that ever had a quota checked, locked by
 * the catalog's quota-limited writes (`image_count_total`, `image_size_total`) so that the check
 * and the write of one project are serialised: InnoDB has no transaction-scoped advisory lock,
 * and GET_LOCK's session-scoped one would outlive a rolled-back transaction on a pooled
 * connection. The rows hold no counts: usage is always counted from `images` (through
 * `images_live_by_owner`), so nothing has to be kept in step with deletes.
 */
const V3_PROJECT_QUOTA_LOCKS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS project_quota_locks (
    project VARCHAR(255) NOT NULL,
    PRIMARY KEY (project)
  ) ${TABLE_OPTIONS}`,
];

/*
 * Version 4: a name-filtered listing of what a project may see (`listImages({ name, visibleTo })`)
 * stays bounded by its page size: the owner's and the public/community branches find the images
 * of that name in listing order (created_at, then the primary key seq InnoDB appends) instead of
 * walking all the owner's, or all public, images. Like the version 1 listing indexes they lead
 * with `deleted` (no partial indexes in MariaDB).
 */
const V4_NAMED_LISTING_BY_VISIBILITY: readonly string[] = [
  'CREATE INDEX IF NOT EXISTS images_live_by_owner_name ON images (deleted, owner, name, created_at)',
  'CREATE INDEX IF NOT EXISTS images_live_by_visibility_name ON images (deleted, visibility, name, created_at)',
];

/** Every migration, oldest first. Later versions append here. */
export const MIGRATIONS: readonly MysqlMigration[] = [
  { version: 1, name: 'initial schema', up: V1_INITIAL_SCHEMA },
  { version: 2, name: 'children read through their image, purged later', up: V2_CHILDREN_THROUGH_THEIR_IMAGE },
  { version: 3, name: 'per-project quota locks', up: V3_PROJECT_QUOTA_LOCKS },
  { version: 4, name: 'name-filtered listing indexes by owner and visibility', up: V4_NAMED_LISTING_BY_VISIBILITY },
];

export interface MigrationOptions {
  /** The migration list (default {@link MIGRATIONS}). */
  readonly migrations?: readonly MysqlMigration[];
  /** How long to wait for another process's migration lock (default 60 s). */
  readonly lockTimeoutSeconds?: number;
}

export interface MigrationReport {
  /** Versions this call applied (empty when the schema was already current). */
  readonly applied: readonly number[];
  /** The highest version recorded in the database afterwards. */
  readonly version: number;
}

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  applied_at BIGINT NOT NULL
) ${TABLE_OPTIONS}`;

const ER_NO_SUCH_TABLE = 1146;

/** GET_LOCK names are server-wide and at most 64 characters: one lock per database, by its hash. */
const LOCK_NAME = "CONCAT('image-catalog-migrate:', MD5(DATABASE()))";

function checkOrder(migrations: readonly MysqlMigration[]): void {
  migrations.forEach((m, i) => {
    const previous = migrations[i - 1];
    if (!Number.isInteger(m.version) || m.version < 1 || (previous !== undefined && m.version <= previous.version)) {
      throw new RangeError(`migrations must have strictly increasing positive integer versions (at ${m.name})`);
    }
  });
}

async function query<T>(connection: MysqlPoolConnection, statement: string, values?: readonly unknown[]): Promise<T[]> {
  return (await connection.query(statement, values))[0] as T[];
}

async function withConnection<T>(pool: MysqlPool, work: (connection: MysqlPoolConnection) => Promise<T>): Promise<T> {
  const connection = await pool.getConnection();
  try {
    return await work(connection);
  } finally {
    connection.release();
  }
}

async function recordedVersions(connection: MysqlPoolConnection): Promise<number[]> {
  try {
    return (await query<{ version: number }>(connection, 'SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);
  } catch (cause) {
    if ((cause as { errno?: unknown }).errno === ER_NO_SUCH_TABLE) return [];
    throw cause;
  }
}

/** Versions recorded as applied in the pool's database, ascending; empty for a fresh database. */
export function appliedVersions(pool: MysqlPool): Promise<number[]> {
  return withConnection(pool, recordedVersions);
}

/** Migrations not yet applied to the pool's database. */
export async function pendingMigrations(pool: MysqlPool, migrations: readonly MysqlMigration[] = MIGRATIONS): Promise<MysqlMigration[]> {
  const applied = new Set(await appliedVersions(pool));
  return migrations.filter((m) => !applied.has(m.version));
}

/**
 * Applies pending migrations to the database the pool's connections use. One connection holds a
 * named lock (GET_LOCK, per database) for the whole run and re-reads the applied versions under
 * it: processes starting together queue on the lock, and the later ones find the work done.
 * Throws on failure (a setup step, not a port call); the lock dies with the connection.
 */
export async function migrate(pool: MysqlPool, options: MigrationOptions = {}): Promise<MigrationReport> {
  const migrations = options.migrations ?? MIGRATIONS;
  checkOrder(migrations);
  const lockTimeout = options.lockTimeoutSeconds ?? 60;
  return withConnection(pool, async (connection) => {
    await assertSupportedServer((statement) => query(connection, statement));
    const [database] = await query<{ name: string | null }>(connection, 'SELECT DATABASE() AS name');
    if (database?.name === undefined || database.name === null)
      throw new Error('@image-catalog/mysql: the connection has no database selected (name one in the URL or the pool options)');
    const [lock] = await query<{ taken: number | null }>(connection, `SELECT GET_LOCK(${LOCK_NAME}, ?) AS taken`, [lockTimeout]);
    if (lock?.taken !== 1)
      throw new Error(`@image-catalog/mysql: another process held the migration lock of ${database.name} for more than ${lockTimeout} s`);
    try {
      await query(connection, CREATE_MIGRATIONS_TABLE);
      const done = new Set(await recordedVersions(connection));
      const applied: number[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        for (const statement of migration.up) await query(connection, statement);
        await query(connection, 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        applied.push(migration.version);
      }
      const versions = await recordedVersions(connection);
      return { applied, version: versions.at(-1) ?? 0 };
    } finally {
      await query(connection, `SELECT RELEASE_LOCK(${LOCK_NAME})`);
    }
  });
}
