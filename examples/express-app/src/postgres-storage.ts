// PostgreSQL storage for the example service (DATABASE_URL=postgres://...): shared catalog and shared rate limit.
import type { Logger } from '@image-catalog/core';
import { migrate, openPostgresStorage, PostgresRateLimiter, type PostgresStorage } from '@image-catalog/postgres';
import pg from 'pg';
import type { ServiceConfig } from './config.js';
import type { OpenedStorage } from './storage.js';

/** Migrates the schema unless `IMAGE_CATALOG_MIGRATE=0`, then opens the ports, which refuse a schema that is not current. */
export async function openServicePostgresStorage(config: ServiceConfig, logger: Logger): Promise<OpenedStorage> {
  const url = config.databaseUrl;
  if (url === null) throw new TypeError('openServicePostgresStorage: DATABASE_URL is not set');
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', (error) => logger.warn({ err: error }, 'postgres: idle client error'));
  let storage: PostgresStorage;
  try {
    if (config.migrate) logger.info({ report: await migrate(pool) }, 'postgres: schema ready');
    storage = await openPostgresStorage(pool, { quotas: config.quotas });
  } catch (error) {
    await pool.end();
    const hint = config.migrate ? '' : ' (IMAGE_CATALOG_MIGRATE=0: this service does not migrate; run the migrations first, or unset it)';
    const message = `cannot prepare the PostgreSQL schema: ${error instanceof Error ? error.message : String(error)}${hint}`;
    logger.error({ err: error }, message);
    throw new Error(message);
  }
  const rateLimiter = config.rateLimit
    ? new PostgresRateLimiter({ pool, limit: config.rateLimit.limit, windowSeconds: config.rateLimit.windowSeconds })
    : null;
  const safeUrl = new URL(url);
  safeUrl.password = '';
  return {
    ...storage,
    rateLimiter,
    description: `postgres:${safeUrl.host}${safeUrl.pathname}`,
    async close() {
      await pool.end();
    },
  };
}
