// Opens the catalog storage the settings select: embedded SQLite by default, PostgreSQL with DATABASE_URL.
import type { ContainerModule } from 'inversify';
import { mkdirSync } from 'node:fs';
import type { Logger } from '@image-catalog/core';
import { InProcessRateLimiter, type RateLimiter } from '@image-catalog/http';
import { openDatabase, pendingMigrations, sqliteImageCatalogModule } from '@image-catalog/sqlite';
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
  const db = openDatabase(config.databasePath, { synchronous: config.durable ? 'FULL' : 'NORMAL', migrate: config.migrate });
  // IMAGE_CATALOG_MIGRATE=0: the deploy step migrates; a file it did not is refused here rather than by the store later.
  const pending = pendingMigrations(db);
  if (pending.length > 0) {
    db.close();
    const names = pending.map((m) => `${m.version} (${m.name})`).join(', ');
    throw new Error(`the SQLite database ${config.databasePath} is not current (pending migrations: ${names}); run image-catalog-sqlite-migrate ${config.databasePath}, or start with IMAGE_CATALOG_MIGRATE=1`);
  }
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
