// Opens the catalog storage the settings select: embedded SQLite by default, PostgreSQL with DATABASE_URL.
import type { ContainerModule } from 'inversify';
import { mkdirSync } from 'node:fs';
import type { Logger } from '@image-catalog/core';
import { InProcessRateLimiter, type RateLimiter } from '@image-catalog/http';
import { openDatabase, sqliteImageCatalogModule } from '@image-catalog/sqlite';
import type { ServiceConfig } from './config.js';

export interface OpenedStorage {
  /** Binds the storage ports (repository, catalog, job queue, outbox). */
  readonly module: ContainerModule;
  readonly rateLimiter: RateLimiter | null;
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
  const rateLimiter = config.rateLimit ? new InProcessRateLimiter(config.rateLimit) : null;
  return {
    // Durable mode fsyncs every commit; group commit lets concurrent deletes share one.
    module: sqliteImageCatalogModule(db, config.durable ? { groupCommit: true } : {}),
    rateLimiter,
    description: `sqlite:${config.databasePath}${config.durable ? ' (durable: synchronous=FULL, group commit)' : ''}`,
    async close() {
      if (db.open) db.close();
    },
  };
}
