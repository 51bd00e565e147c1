// PostgreSQL storage for the example service (DATABASE_URL=postgres://...): shared catalog and shared rate limit.
import type { Logger } from '@image-catalog/core';
import { createPostgresImageStore, migrate, postgresImageCatalogModule, PostgresRateLimiter, type PostgresImageStore } from '@image-catalog/postgres';
import pg from 'pg';
import type { ServiceConfig } from './config.js';
import type { OpenedStorage } from './storage.js';

export async function openPostgresStorage(config: ServiceConfig, logger: Logger): Promise<OpenedStorage> {
  const url = config.databaseUrl!;
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', (error) => logger.warn({ err: error }, 'postgres: idle client error'));
  let store: PostgresImageStore;
  try {
    if (config.migrate) {
      const report = await migrate(pool);
      logger.info({ report }, 'postgres: schema ready');
    }
    // Refuses a schema that is not current (IMAGE_CATALOG_MIGRATE=0 and no deploy-step migration), naming what is missing.
    store = await createPostgresImageStore(pool);
  } catch (error) {
    await pool.end();
    throw new Error(`cannot use the PostgreSQL schema: ${error instanceof Error ? error.message : String(error)}`);
  }
  const rateLimiter = config.rateLimit ? new PostgresRateLimiter({ pool, limit: config.rateLimit.limit, windowSeconds: config.rateLimit.windowSeconds }) : null;
  const safeUrl = new URL(url);
  safeUrl.password = '';
  return {
    module: postgresImageCatalogModule(store),
    rateLimiter,
    description: `postgres:${safeUrl.host}${safeUrl.pathname}`,
    async close() {
      await pool.end();
    },
  };
}
