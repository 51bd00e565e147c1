// The `image-catalog-mysql-migrate <mysql-url> [--check]` command as a function: arguments in, exit code out.
import { createPool } from 'mysql2/promise';
import { migrate, pendingMigrations } from './migrations.js';

export const MIGRATE_USAGE =
  'usage: image-catalog-mysql-migrate <mysql-url> [--check]\n' +
  '  applies pending schema migrations to the database named in the URL (mysql://user:password@host:port/database);\n' +
  '  --check applies nothing: exit 0 when the schema is current, 1 with the pending versions otherwise.\n';

export interface CommandOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Exit codes: 0 done, current or `--help`, 1 pending (with `--check`) or failed, 2 usage error. */
export async function runMigrateCommand(args: readonly string[], io: CommandOutput): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(MIGRATE_USAGE);
    return 0;
  }
  const check = args.includes('--check');
  const rest = args.filter((a) => a !== '--check');
  const url = rest[0];
  if (rest.length !== 1 || url === undefined || rest.some((a) => a.startsWith('-'))) {
    io.err(MIGRATE_USAGE);
    return 2;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    io.err(`not a URL: ${url}\n${MIGRATE_USAGE}`);
    return 2;
  }
  if ((parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') || parsed.pathname.length <= 1) {
    io.err(`expected mysql://…/<database>, got ${parsed.protocol}//${parsed.host}${parsed.pathname}\n${MIGRATE_USAGE}`);
    return 2;
  }
  parsed.protocol = 'mysql:';
  const pool = createPool({ uri: parsed.toString(), connectionLimit: 1, connectTimeout: 10_000 });
  try {
    if (check) {
      const pending = await pendingMigrations(pool);
      if (pending.length === 0) {
        io.out('schema is current\n');
        return 0;
      }
      io.out(`pending migrations: ${pending.map((m) => `${m.version} (${m.name})`).join(', ')}\n`);
      return 1;
    }
    const report = await migrate(pool);
    io.out(
      report.applied.length === 0
        ? `schema is current at version ${report.version}\n`
        : `applied ${report.applied.join(', ')}; schema at version ${report.version}\n`,
    );
    return 0;
  } catch (cause) {
    io.err(`image-catalog-mysql-migrate: ${cause instanceof Error ? cause.message : String(cause)}\n`);
    return 1;
  } finally {
    await pool.end().catch(() => {});
  }
}
