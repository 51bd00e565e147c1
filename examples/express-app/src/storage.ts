// Opens the catalog storage the settings select: embedded SQLite by default, PostgreSQL with DATABASE_URL.
import { mkdirSync } from 'node:fs';
import type { ImageCatalogStorage, Logger } from '@image-catalog/core';
import type { ImageCatalog } from '@image-catalog/core/authoring';
import { InProcessRateLimiter, type RateLimiter } from '@image-catalog/http';
import { createSqliteStorage, openDatabase, pendingMigrations } from '@image-catalog/sqlite';
import type { ServiceConfig } from './config.js';

/**
 * The storage ports over one database: `images`, `jobs` and `outbox` for the catalog's use cases
 * and background work, `catalog` (authoring) for the fixture routes; plus the rate limiter that
 * fits the storage (per process for SQLite, shared through PostgreSQL).
 */
export interface OpenedStorage extends ImageCatalogStorage {
  readonly catalog: ImageCatalog;
  readonly rateLimiter: RateLimiter | null;
  /** For the start-up log: where the data is (no password). */
  readonly description: string;
  close(): Promise<void>;
}

export async function openStorage(config: ServiceConfig, logger: Logger): Promise<OpenedStorage> {
  if (config.databaseUrl !== null) {
    const { openServicePostgresStorage } = await import('./postgres-storage.js');
    return openServicePostgresStorage(config, logger);
  }
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(config.databasePath, { synchronous: config.durable ? 'FULL' : 'NORMAL', migrate: config.migrate });
  // IMAGE_CATALOG_MIGRATE=0: the deploy step migrates; a file it did not is refused here rather than by the store later.
  const pending = pendingMigrations(db);
  if (pending.length > 0) {
    db.close();
    const names = pending.map((m) => `${m.version} (${m.name})`).join(', ');
    throw new Error(
      `the SQLite database ${config.databasePath} is not current (pending migrations: ${names}); run image-catalog-sqlite-migrate ${config.databasePath}, or start with IMAGE_CATALOG_MIGRATE=1`,
    );
  }
  return {
    // Durable mode fsyncs every commit; group commit lets concurrent deletes share one.
    ...createSqliteStorage(db, { quotas: config.quotas, ...(config.durable ? { groupCommit: true } : {}) }),
    rateLimiter: config.rateLimit ? new InProcessRateLimiter(config.rateLimit) : null,
    description: `sqlite:${config.databasePath}${config.durable ? ' (durable: synchronous=FULL, group commit)' : ''}`,
    async close() {
      if (db.open) db.close();
    },
  };
}
