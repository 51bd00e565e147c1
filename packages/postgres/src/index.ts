// @image-catalog/postgres: PostgreSQL (node-postgres) adapters for every storage port, a shared rate limiter, migrations.
export type { PgPool, PgPoolClient, PgQueryable } from './pg-pool.js';
export { DEFAULT_SCHEMA } from './schema-name.js';
export {
  MIGRATIONS,
  migrate,
  appliedVersions,
  pendingMigrations,
  type PostgresMigration,
  type MigrateOptions,
  type MigrationReport,
} from './migrations.js';
export { openPostgresStorage, type PostgresStorage, type PostgresStorageOptions } from './postgres-storage.js';
export { assertSchemaCurrent, SchemaNotCurrentError } from './schema-check.js';
export { PostgresRateLimiter, type PostgresRateLimiterOptions } from './postgres-rate-limiter.js';
export { postgresImageCatalogModule } from './module.js';
export { toStorageError } from './storage-errors.js';
export { DeadlineExceededError } from './deadline-exceeded-error.js';
export type { PostgresTimeoutOptions } from './postgres-timeouts.js';
