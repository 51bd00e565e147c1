// The `image-catalog-sqlite-migrate` command: checks or applies the schema migrations of a database file, for deploy steps.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { appliedVersions, MIGRATIONS, migrate, pendingMigrations, type Migration } from './migrations.js';
import { openDatabase } from './open-database.js';

/** Where the command writes; `process.stdout`/`process.stderr` in the real program. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Exit statuses, as documented in the README. */
export const MIGRATE_EXIT = { ok: 0, pending: 1, usage: 2, failed: 3 } as const;

export const SQLITE_MIGRATE_USAGE = `usage: image-catalog-sqlite-migrate <db-file> [--check]

Applies the pending schema migrations of @image-catalog/sqlite to <db-file> (created if missing).
  --check   apply nothing; list the pending migrations
  --help    show this text

exit status: 0 schema current (or migrated), 1 migrations pending (--check),
             2 usage error, 3 the database could not be opened, checked or migrated
`;

function listed(migrations: readonly Migration[]): string {
  return migrations.map((m) => `  ${m.version}  ${m.name}\n`).join('');
}

/** Recorded versions this release does not know: a newer release migrated the file. */
function unknownVersions(db: Database.Database): number[] {
  const known = new Set(MIGRATIONS.map((m) => m.version));
  return [...appliedVersions(db)].filter((v) => !known.has(v)).sort((a, b) => a - b);
}

/** Runs the command for `args` (without `node` and the script) and answers its exit status. Never throws. */
export function runSqliteMigrateCommand(args: readonly string[], output: CommandOutput): number {
  let check: boolean;
  let file: string;
  try {
    const parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (parsed.values.help) {
      output.out(SQLITE_MIGRATE_USAGE);
      return MIGRATE_EXIT.ok;
    }
    if (parsed.positionals.length !== 1 || parsed.positionals[0] === '') {
      throw new TypeError(
        parsed.positionals.length === 0 ? 'missing <db-file>' : `expected one <db-file>, got ${parsed.positionals.length} arguments`,
      );
    }
    check = parsed.values.check ?? false;
    file = path.resolve(parsed.positionals[0] ?? '');
  } catch (error) {
    output.err(`image-catalog-sqlite-migrate: ${error instanceof Error ? error.message : String(error)}\n\n${SQLITE_MIGRATE_USAGE}`);
    return MIGRATE_EXIT.usage;
  }

  let db: Database.Database | undefined;
  try {
    if (check) {
      if (!existsSync(file)) {
        output.out(`${file} does not exist: every migration is pending\n${listed(MIGRATIONS)}`);
        return MIGRATE_EXIT.pending;
      }
      // Read-only: a check never creates, converts or writes anything.
      db = new Database(file, { readonly: true, fileMustExist: true });
      const pending = pendingMigrations(db);
      const unknown = unknownVersions(db);
      if (unknown.length > 0) output.err(`note: ${file} records migrations this release does not know: ${unknown.join(', ')}\n`);
      if (pending.length === 0) {
        output.out(`${file}: schema current (version ${Math.max(0, ...appliedVersions(db))})\n`);
        return MIGRATE_EXIT.ok;
      }
      output.out(
        `${file}: ${pending.length} pending migration${pending.length === 1 ? '' : 's'}\n${listed(pending)}run image-catalog-sqlite-migrate ${JSON.stringify(file)} to apply them\n`,
      );
      return MIGRATE_EXIT.pending;
    }
    // Opened as the store opens it (WAL, busy timeout), so the file is ready for the service.
    db = openDatabase(file, { migrate: false });
    const pending = pendingMigrations(db);
    const report = migrate(db);
    const unknown = unknownVersions(db);
    if (unknown.length > 0) output.err(`note: ${file} records migrations this release does not know: ${unknown.join(', ')}\n`);
    if (report.applied.length === 0) {
      output.out(`${file}: nothing to apply, schema current (version ${report.version})\n`);
    } else {
      const applied = pending.filter((m) => report.applied.includes(m.version));
      output.out(
        `${file}: applied ${report.applied.length} migration${report.applied.length === 1 ? '' : 's'}\n${listed(applied)}schema now at version ${report.version}\n`,
      );
    }
    return MIGRATE_EXIT.ok;
  } catch (error) {
    output.err(
      `image-catalog-sqlite-migrate: ${check ? 'cannot check' : 'cannot migrate'} ${file}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return MIGRATE_EXIT.failed;
  } finally {
    db?.close();
  }
}
