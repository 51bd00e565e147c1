// The public factory: checks the schema is current, then builds the four PostgreSQL port modules over one connection.
import type { DataDeletionJobQueue, EventOutbox, ImageRepository } from '@image-catalog/core';
import { checkedImageCatalog, validImageQuotas, type ImageCatalog } from '@image-catalog/core/authoring';
import type { PgPool } from './pg-pool.js';
import { assertSchemaCurrent } from './schema-check.js';
import { postgresConnection, type PostgresConnection, type PostgresConnectionOptions } from './postgres-connection.js';
import { PostgresImageCatalog, type PostgresImageCatalogOptions } from './postgres-image-catalog.js';
import { PostgresImageRepository, type PostgresImageRepositoryOptions } from './postgres-image-repository.js';
import { PostgresJobQueue } from './postgres-job-queue.js';
import { PostgresOutbox } from './postgres-outbox.js';

export interface PostgresStorageOptions extends PostgresConnectionOptions, PostgresImageRepositoryOptions, PostgresImageCatalogOptions {}

/** The four storage ports over one pool and schema: a delete, its jobs and its event commit in one statement. */
export interface PostgresStorage {
  readonly images: ImageRepository;
  readonly jobs: DataDeletionJobQueue;
  readonly outbox: EventOutbox;
  readonly catalog: ImageCatalog;
}

/**
 * Checks that every migration of `MIGRATIONS` is recorded in the schema, then builds the ports.
 * Rejects with `SchemaNotCurrentError` naming the pending migrations when the schema is not
 * current (run `migrate(pool, { schema })` or `image-catalog-postgres-migrate` first), with a `RangeError` for a bad schema name or bad `quotas`, and with the
 * driver's error when the database cannot be reached: a start-up step, not a port call.
 */
export async function openPostgresStorage(pool: PgPool, options: PostgresStorageOptions = {}): Promise<PostgresStorage> {
  const connection = postgresConnection(pool, options);
  // Built first (no I/O): bad options such as `quotas` are refused before the database is asked anything.
  const storage = storageOver(connection, options);
  await assertSchemaCurrent(pool, { schema: connection.schema.name });
  return storage;
}

/** The ports without the schema check, for tests whose server is unreachable from the start. Not exported by the package. */
export function uncheckedPostgresStorage(pool: PgPool, options: PostgresStorageOptions = {}): PostgresStorage {
  return storageOver(postgresConnection(pool, options), options);
}

function storageOver(connection: PostgresConnection, options: PostgresStorageOptions): PostgresStorage {
  return {
    images: new PostgresImageRepository(connection, options),
    jobs: new PostgresJobQueue(connection),
    outbox: new PostgresOutbox(connection),
    catalog: checkedImageCatalog(
      new PostgresImageCatalog(connection, { newId: options.newId, quotas: validImageQuotas(options.quotas, 'openPostgresStorage') }),
    ),
  };
}
