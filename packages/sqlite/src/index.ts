// @image-catalog/sqlite: SQLite (better-sqlite3) adapters for every storage port, schema and migrations.
export { openDatabase, DEFAULT_BUSY_TIMEOUT_MS, type OpenDatabaseOptions } from './open-database.js';
export { MIGRATIONS, migrate, pendingMigrations, appliedVersions, type Migration, type MigrationReport } from './migrations.js';
export { createSqliteStorage, type SqliteStorage, type SqliteStorageOptions } from './sqlite-storage.js';
export { DEFAULT_GROUP_COMMIT_MAX_BATCH, type GroupCommitOptions } from './group-commit.js';
export {
  WalCheckpointer,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_MAX_WAL_BYTES,
  type WalCheckpointOptions,
  type CheckpointReport,
  type CheckpointCounts,
} from './wal-checkpointer.js';
export { sqliteImageCatalogModule } from './module.js';
export { toStorageError } from './storage-errors.js';
