// What the four PostgreSQL port modules share: the pool runner (bounded transactions, retry, error mapping), the schema and the image read.
import { DEFAULT_RETRY_AFTER_SECONDS, type Image } from '@image-catalog/core';
import { toImage } from '@image-catalog/sql-kit';
import type { PgPool, PgQueryable } from './pg-pool.js';
import { PgRunner, statementFactory, type Statement } from './pg-runner.js';
import { postgresTimeouts, type PostgresTimeoutOptions, type PostgresTimeouts } from './postgres-timeouts.js';
import { selectImageSql, type PgImageRow } from './rows.js';
import { DEFAULT_SCHEMA, schemaName, type SchemaName } from './schema-name.js';

export interface PostgresConnectionOptions extends PostgresTimeoutOptions {
  /** Schema holding the tables, as passed to `migrate` (default `image_catalog`). */
  readonly schema?: string;
  /** `retryAfterSeconds` of the `StorageUnavailable` errors the ports report (default 5). */
  readonly retryAfterSeconds?: number;
  /** Runs of one transaction when PostgreSQL reports a serialization failure or deadlock (default 3). */
  readonly maxAttempts?: number;
}

/** One pool and schema, as every port module over it sees them. */
export interface PostgresConnection {
  /** Runs port work in bounded transactions; the one place exceptions become `StorageError` values. */
  readonly db: PgRunner;
  /** The lock, statement, answer and pool-wait bounds every call runs under. */
  readonly timeouts: PostgresTimeouts;
  readonly schema: SchemaName;
  /** Builds a named (prepared) statement whose name is unique to this schema. */
  readonly statement: (name: string, text: string) => Statement;
  readonly retryAfterSeconds: number;
  /** The image row with all its children, in one statement; `null` when the id is unknown. */
  readImageRow(db: PgQueryable, imageId: string): Promise<PgImageRow | null>;
  /** `readImageRow` mapped to core's `Image`. */
  readImage(db: PgQueryable, imageId: string): Promise<Image | null>;
}

/**
 * Synchronous and without I/O: throws a `RangeError` for a schema name that is not a plain
 * lower-case identifier, or a timeout that is not a whole number of milliseconds in range.
 */
export function postgresConnection(pool: PgPool, options: PostgresConnectionOptions = {}): PostgresConnection {
  const schema = schemaName(options.schema ?? DEFAULT_SCHEMA);
  const retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  const timeouts = postgresTimeouts(options);
  const statement = statementFactory(schema.statementPrefix);
  const findById = statement('findById', `${selectImageSql(schema.sql)} WHERE i.id = $1`);
  const readImageRow = async (db: PgQueryable, imageId: string) => (await db.query<PgImageRow>(findById([imageId]))).rows[0] ?? null;
  return {
    db: new PgRunner(pool, { retryAfterSeconds, maxAttempts: Math.max(1, options.maxAttempts ?? 3), timeouts }),
    timeouts,
    schema,
    statement,
    retryAfterSeconds,
    readImageRow,
    async readImage(db, imageId) {
      const row = await readImageRow(db, imageId);
      return row === null ? null : toImage(row);
    },
  };
}
