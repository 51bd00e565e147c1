// The `image-catalog-postgres-migrate` command: checks or applies the schema migrations of a database, for deploy steps.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { appliedVersions, MIGRATIONS, migrate, pendingMigrations, type PostgresMigration } from './migrations.js';
import { DEFAULT_SCHEMA, schemaName } from './schema-name.js';

/** Where the command writes; `process.stdout`/`process.stderr` in the real program. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Exit statuses, as documented in the README. */
export const MIGRATE_EXIT = { ok: 0, pending: 1, usage: 2, failed: 3 } as const;

export const POSTGRES_MIGRATE_USAGE = `usage: image-catalog-postgres-migrate <postgres-url> [--check] [--schema name]

Applies the pending schema migrations of @image-catalog/postgres to the database at <postgres-url>
(postgres://user[:password]@host[:port]/database), creating the schema if missing.
  --check          apply nothing; list the pending migrations
  --schema name    the schema holding the tables (default ${DEFAULT_SCHEMA})
  --help           show this text

exit status: 0 schema current (or migrated), 1 migrations pending (--check),
             2 usage error, 3 the database could not be reached, checked or migrated
`;

class UsageError extends Error {}

interface Invocation {
  readonly url: string;
  readonly check: boolean;
  readonly schema: string;
}

function parse(args: readonly string[]): Invocation | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: { check: { type: 'boolean' }, schema: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) return 'help';
  if (parsed.positionals.length !== 1) {
    throw new UsageError(
      parsed.positionals.length === 0
        ? 'missing <postgres-url>'
        : `expected one <postgres-url>, got ${parsed.positionals.length} arguments`,
    );
  }
  const [url = ''] = parsed.positionals;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new UsageError('<postgres-url> is not a URL (postgres://user@host:port/database)');
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:')
    throw new UsageError(`<postgres-url> must start with postgres:// or postgresql://, got ${protocol}//`);
  try {
    return { url, check: parsed.values.check ?? false, schema: schemaName(parsed.values.schema ?? DEFAULT_SCHEMA).name };
  } catch (error) {
    throw new UsageError(`--schema: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The URL as it may be printed: host, port and database, never the user's password. */
function printable(url: string): string {
  const u = new URL(url);
  return `postgres://${u.host}${u.pathname}`;
}

function listed(migrations: readonly PostgresMigration[]): string {
  return migrations.map((m) => `  ${m.version}  ${m.name}\n`).join('');
}

function unknownNote(target: string, applied: readonly number[]): string {
  const known = new Set(MIGRATIONS.map((m) => m.version));
  const unknown = applied.filter((v) => !known.has(v));
  return unknown.length === 0 ? '' : `note: ${target} records migrations this release does not know: ${unknown.join(', ')}\n`;
}

/** Runs the command for `args` (without `node` and the script) and resolves with its exit status. Never rejects. */
export async function runPostgresMigrateCommand(args: readonly string[], output: CommandOutput): Promise<number> {
  let invocation: Invocation;
  try {
    const parsed = parse(args);
    if (parsed === 'help') {
      output.out(POSTGRES_MIGRATE_USAGE);
      return MIGRATE_EXIT.ok;
    }
    invocation = parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.err(`image-catalog-postgres-migrate: ${error.message}\n\n${POSTGRES_MIGRATE_USAGE}`);
    return MIGRATE_EXIT.usage;
  }

  const { url, check, schema } = invocation;
  const target = `schema "${schema}" at ${printable(url)}`;
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
  // An idle connection dropped by the server must not crash the command; the next query reports it.
  pool.on('error', () => {});
  try {
    if (check) {
      const pending = await pendingMigrations(pool, { schema });
      const applied = await appliedVersions(pool, { schema });
      output.err(unknownNote(target, applied));
      if (pending.length === 0) {
        output.out(`${target}: schema current (version ${Math.max(0, ...applied)})\n`);
        return MIGRATE_EXIT.ok;
      }
      const again = `image-catalog-postgres-migrate <postgres-url>${schema === DEFAULT_SCHEMA ? '' : ` --schema ${schema}`}`;
      output.out(
        `${target}: ${pending.length} pending migration${pending.length === 1 ? '' : 's'}\n${listed(pending)}run ${again} to apply them\n`,
      );
      return MIGRATE_EXIT.pending;
    }
    const report = await migrate(pool, { schema });
    output.err(unknownNote(target, await appliedVersions(pool, { schema })));
    if (report.applied.length === 0) {
      output.out(`${target}: nothing to apply, schema current (version ${report.version})\n`);
    } else {
      const applied = MIGRATIONS.filter((m) => report.applied.includes(m.version));
      output.out(
        `${target}: applied ${report.applied.length} migration${report.applied.length === 1 ? '' : 's'}\n${listed(applied)}schema now at version ${report.version}\n`,
      );
    }
    return MIGRATE_EXIT.ok;
  } catch (error) {
    const reason = error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
    output.err(`image-catalog-postgres-migrate: ${check ? 'cannot check' : 'cannot migrate'} ${target}: ${reason}\n`);
    return MIGRATE_EXIT.failed;
  } finally {
    await pool.end().catch(() => {});
  }
}
