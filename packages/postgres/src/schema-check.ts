// Start-up guard: a store must not serve on a schema that lacks migrations (every request would fail with a 500).
import { MIGRATIONS, pendingMigrations, type MigrateOptions, type PostgresMigration } from './migrations.js';
import type { PgPool } from './pg-pool.js';
import { DEFAULT_SCHEMA, schemaName } from './schema-name.js';

/** The schema misses migrations this release needs. A start-up error: run `migrate` or the migrate command, then start again. */
export class SchemaNotCurrentError extends Error {
  override readonly name = 'SchemaNotCurrentError';

  constructor(
    readonly schema: string,
    readonly pending: readonly PostgresMigration[],
  ) {
    const names = pending.map((m) => `${m.version} (${m.name})`).join(', ');
    super(
      `PostgreSQL schema "${schema}" is not current (pending migrations: ${names}); run migrate(pool${schema === DEFAULT_SCHEMA ? '' : `, { schema: '${schema}' }`}) ` +
        `or image-catalog-postgres-migrate <postgres-url>${schema === DEFAULT_SCHEMA ? '' : ` --schema ${schema}`} first`,
    );
  }
}

/**
 * Resolves when every migration is recorded in `schema`; rejects with {@link SchemaNotCurrentError}
 * naming the missing ones otherwise, with a `RangeError` for a malformed schema name, and with the
 * driver's error when the database cannot be reached.
 */
export async function assertSchemaCurrent(pool: PgPool, options: MigrateOptions = {}): Promise<void> {
  const schema = schemaName(options.schema ?? DEFAULT_SCHEMA);
  const pending = await pendingMigrations(pool, { schema: schema.name, migrations: options.migrations ?? MIGRATIONS });
  if (pending.length > 0) throw new SchemaNotCurrentError(schema.name, pending);
}
