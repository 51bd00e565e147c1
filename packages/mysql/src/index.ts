// @image-catalog/mysql: the storage ports over MariaDB (mysql2 promise pool), its migrations and the migrate command.
export {
  openMysqlStorage,
  createMysqlStorage,
  SchemaNotCurrentError,
  type MysqlStorage,
  type OpenMysqlStorageOptions,
} from './open-mysql-storage.js';
export {
  MysqlConnection,
  DEFAULT_ACQUIRE_TIMEOUT_MS,
  DEFAULT_LOCK_WAIT_TIMEOUT_SECONDS,
  type MysqlConnectionOptions,
  type MysqlPool,
  type MysqlPoolConnection,
} from './mysql-connection.js';
export {
  MIGRATIONS,
  migrate,
  pendingMigrations,
  appliedVersions,
  type MysqlMigration,
  type MigrationOptions,
  type MigrationReport,
} from './migrations.js';
export { MysqlImageRepository } from './mysql-image-repository.js';
export { MysqlJobQueue } from './mysql-job-queue.js';
export { MysqlEventOutbox } from './mysql-event-outbox.js';
export { toStorageError, isUnavailable, POOL_ACQUIRE_TIMEOUT } from './storage-errors.js';
export { runMigrateCommand, MIGRATE_USAGE } from './migrate-command.js';
