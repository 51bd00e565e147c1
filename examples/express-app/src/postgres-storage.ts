// PostgreSQL storage for the example service (DATABASE_URL=postgres://...): shared catalog and shared rate limit.
import type { Logger } from '@image-catalog/core';
import { migrate, postgresImageCatalogModule, PostgresRateLimiter } from '@image-catalog/postgres';
import pg from 'pg';
import type { ServiceConfig } from './config.js';
import type { OpenedStorage } from './storage.js';

export async function openPostgresStorage(config: ServiceConfig, logger: Logger): Promise<OpenedStorage> {
  const url = config.databaseUrl!;
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', (error) => logger.warn({ err: error }, 'postgres: idle client error'));
  try {
    const report = await migrate(pool);
    logger.info({ report }, 'postgres: schema ready');
  } catch (error) {
    await pool.end();
    throw new Error(`cannot prepare the PostgreSQL schema: ${error instanceof Error ? error.message : String(error)}`);
  }
  const rateLimiter = config.rateLimit ? new PostgresRateLimiter({ pool, limit: config.rateLimit.limit, windowSeconds: config.rateLimit.windowSeconds }) : null;
  const safeUrl = new URL(url);
  safeUrl.password = '';
  return {
    module: postgresImageCatalogModule(pool),
    rateLimiter,
    description: `postgres:${safeUrl.host}${safeUrl.pathname}`,
    async close() {
      await pool.end();
    },
  };
}
