// The store's factory: checks the server and the schema, then builds the four port modules over one shared connection object.
import type { DataDeletionJobQueue, EventOutbox, ImageRepository } from '@image-catalog/core';
import { checkedImageCatalog, validImageQuotas, type ImageCatalog, type ImageQuotas } from '@image-catalog/core/authoring';
import { MIGRATIONS, migrate, pendingMigrations, type MysqlMigration } from './migrations.js';
import { MysqlConnection, type MysqlConnectionOptions, type MysqlPool } from './mysql-connection.js';
import { MysqlEventOutbox } from './mysql-event-outbox.js';
import { MysqlImageCatalog } from './mysql-image-catalog.js';
import { MysqlImageRepository } from './mysql-image-repository.js';
import { MysqlJobQueue } from './mysql-job-queue.js';
import { assertSupportedPool } from './server-version.js';

/** The four storage ports over one pool: a delete's image row, jobs and event share one transaction. */
export interface MysqlStorage {
  readonly images: ImageRepository;
  readonly jobs: DataDeletionJobQueue;
  readonly outbox: EventOutbox;
  readonly catalog: ImageCatalog;
}

export interface OpenMysqlStorageOptions extends MysqlConnectionOptions {
  /** Apply pending migrations before opening (default `false`: run `image-catalog-mysql-migrate` or `migrate(pool)` at deploy time). */
  readonly migrate?: boolean;
  /** The migrations the schema must have (default {@link MIGRATIONS}). */
  readonly migrations?: readonly MysqlMigration[];
  /**
   * Per-project `image_count_total` / `image_size_total` limits the catalog enforces (default:
   * none, and then no quota work at all); serialised per project on a `project_quota_locks` row.
   */
  readonly quotas?: ImageQuotas;
}

/** The database's schema lacks migrations this version of the store needs. A deployment defect: migrate, then start. */
export class SchemaNotCurrentError extends Error {
  constructor(readonly pending: readonly MysqlMigration[]) {
    super(
      `@image-catalog/mysql: the database schema is not current; ` +
        `pending migration(s): ${pending.map((m) => `${m.version} (${m.name})`).join(', ')}. ` +
        'Run image-catalog-mysql-migrate <mysql-url>, or open with { migrate: true }.',
    );
    this.name = 'SchemaNotCurrentError';
  }
}

/** The port modules over an existing connection object, without any check but of `quotas` (a RangeError). */
export function createMysqlStorage(connection: MysqlConnection, quotas?: ImageQuotas): MysqlStorage {
  return {
    images: new MysqlImageRepository(connection),
    jobs: new MysqlJobQueue(connection),
    outbox: new MysqlEventOutbox(connection),
    catalog: checkedImageCatalog(new MysqlImageCatalog(connection, validImageQuotas(quotas, 'openMysqlStorage'))),
  };
}

/**
 * Opens the store on `pool` (a `mysql2/promise` pool whose connections select the database).
 * Rejects with a RangeError for bad options (`quotas` included), an Error for an unsupported server, and
 * {@link SchemaNotCurrentError} (naming the pending versions) for a schema that is not current.
 */
export async function openMysqlStorage(pool: MysqlPool, options: OpenMysqlStorageOptions = {}): Promise<MysqlStorage> {
  const connection = new MysqlConnection(pool, options);
  // Built first (no I/O): bad `quotas` are refused before the database is asked anything.
  const storage = createMysqlStorage(connection, options.quotas);
  const migrations = options.migrations ?? MIGRATIONS;
  if (options.migrate === true) await migrate(pool, { migrations });
  else await assertSupportedPool(pool);
  const pending = await pendingMigrations(pool, migrations);
  if (pending.length > 0) throw new SchemaNotCurrentError(pending);
  return storage;
}
