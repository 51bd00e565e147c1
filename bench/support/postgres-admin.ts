// PostgreSQL for the service cases: reachability, and throw-away databases (created from a seeded template, dropped after).
import pg from 'pg';

/** The maintenance connection; BENCH_POSTGRES_URL overrides it. Databases are created next to it (same server and user). */
export function adminUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface PostgresAdmin {
  /** The URL of database `name` on the same server, as the example's `DATABASE_URL`. */
  urlFor(name: string): string;
  /** Creates `name`, empty or as a copy of `template` (which must have no open connection). */
  createDatabase(name: string, template?: string): Promise<void>;
  /** Drops `name` if it exists, closing the connections still open to it. */
  dropDatabase(name: string): Promise<void>;
  /** A client connected to database `name`; the caller ends it. */
  connect(name: string): Promise<pg.Client>;
  close(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function checked(name: string): string {
  if (!IDENTIFIER.test(name)) throw new RangeError(`not a plain database name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** Connects to the maintenance database, or answers why it cannot (the cases are then skipped with that message). */
export async function connectPostgresAdmin(url = adminUrl()): Promise<PostgresAdmin | { readonly unreachable: string }> {
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (cause) {
    await admin.end().catch(() => undefined);
    return {
      unreachable: `PostgreSQL at ${new URL(url).host} does not answer (${cause instanceof Error ? cause.message : String(cause)})`,
    };
  }
  const urlFor = (name: string) => {
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.toString();
  };
  return {
    urlFor,
    async createDatabase(name, template) {
      await admin.query(`CREATE DATABASE ${checked(name)}${template === undefined ? '' : ` TEMPLATE ${checked(template)}`}`);
    },
    async dropDatabase(name) {
      await admin.query(`DROP DATABASE IF EXISTS ${checked(name)} WITH (FORCE)`);
    },
    async connect(name) {
      const client = new pg.Client({ connectionString: urlFor(name), connectionTimeoutMillis: 5000 });
      await client.connect();
      return client;
    },
    close: () => admin.end(),
  };
}
