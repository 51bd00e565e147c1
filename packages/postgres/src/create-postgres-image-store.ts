// The checked way to open the PostgreSQL store: refuses a schema that is not current instead of serving 500s.
import type { PgPool } from './pg-pool.js';
import { PostgresImageStore, type PostgresImageStoreOptions } from './postgres-image-store.js';
import { assertSchemaCurrent } from './schema-check.js';

/**
 * A store over `pool`, once {@link assertSchemaCurrent} has found every migration applied to
 * `options.schema`. Rejects with `SchemaNotCurrentError` (naming the pending migrations) or with
 * the driver's error when the database cannot be reached: call it before serving.
 */
export async function createPostgresImageStore(pool: PgPool, options: PostgresImageStoreOptions = {}): Promise<PostgresImageStore> {
  const store = new PostgresImageStore(pool, options); // validates the options before any round trip
  await assertSchemaCurrent(pool, options.schema === undefined ? {} : { schema: options.schema });
  return store;
}
