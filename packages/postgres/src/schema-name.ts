// Validates the PostgreSQL schema the catalog lives in and derives its quoted name and statement-name prefix.
import { createHash } from 'node:crypto';

/** Where the tables live unless the host says otherwise. */
export const DEFAULT_SCHEMA = 'image_catalog';

/** Lower-case SQL identifiers only: they need no escaping beyond quotes and fold the same in every tool. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface SchemaName {
  /** As given, e.g. `image_catalog`. */
  readonly name: string;
  /** Quoted for SQL text, e.g. `"image_catalog"`. */
  readonly sql: string;
  /**
   * Prefix of named (prepared) statements. node-postgres prepares a name once per connection and
   * refuses the same name with other text, so two stores on one pool with different schemas
   * must not share names.
   */
  readonly statementPrefix: string;
}

/** Throws a `RangeError` for a name that is not a plain lower-case identifier (a configuration error). */
export function schemaName(name: string = DEFAULT_SCHEMA): SchemaName {
  if (typeof name !== 'string' || !SCHEMA_NAME.test(name)) {
    throw new RangeError(
      `schema must be a lower-case SQL identifier (letters, digits, _; at most 63 characters), got ${JSON.stringify(name)}`,
    );
  }
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  return { name, sql: `"${name}"`, statementPrefix: `ic_${hash}_` };
}
