// Opens the catalog storage the settings select: embedded SQLite by default, PostgreSQL with DATABASE_URL.
import { mkdirSync } from 'node:fs';
import type { ImageCatalogStorage, Logger } from '@image-catalog/core';
import type { ImageCatalog } from '@image-catalog/core/authoring';
import { InProcessRateLimiter, type RateLimiter } from '@image-catalog/http';
import { createSqliteStorage, openDatabase } from '@image-catalog/sqlite';
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
  const db = openDatabase(config.databasePath, { synchronous: config.durable ? 'FULL' : 'NORMAL' });
  return {
    // Durable mode fsyncs every commit; group commit lets concurrent deletes share one.
    ...createSqliteStorage(db, config.durable ? { groupCommit: true } : {}),
    rateLimiter: config.rateLimit ? new InProcessRateLimiter(config.rateLimit) : null,
    description: `sqlite:${config.databasePath}${config.durable ? ' (durable: synchronous=FULL, group commit)' : ''}`,
    async close() {
      if (db.open) db.close();
    },
  };
}
