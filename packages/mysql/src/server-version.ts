// The servers this adapter is written for: MariaDB 10.6+ (JSON_ARRAYAGG … ORDER BY, SKIP LOCKED); anything else is refused up front.
import type { MysqlPool } from './mysql-connection.js';
export const MINIMUM_MARIADB: readonly [major: number, minor: number] = [10, 6];

/** `null` when `version` (as `SELECT VERSION()` prints it) is a supported server, else why not. */
export function unsupportedServer(version: string): string | null {
  const match = /^(\d+)\.(\d+)\.\d+.*MariaDB/i.exec(version);
  if (match === null) {
    const needed = MINIMUM_MARIADB.join('.');
    return `@image-catalog/mysql needs MariaDB ${needed} or later; this server is ${version} (MySQL has no ORDER BY in JSON_ARRAYAGG)`;
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const [needMajor, needMinor] = MINIMUM_MARIADB;
  return major > needMajor || (major === needMajor && minor >= needMinor)
    ? null
    : `@image-catalog/mysql needs MariaDB ${MINIMUM_MARIADB.join('.')} or later; this server is ${version}`;
}

/** Throws a clear error unless the server answering `query` is supported. */
export async function assertSupportedServer(
  query: (statement: string) => Promise<readonly { readonly version?: unknown }[]>,
): Promise<void> {
  const [row] = await query('SELECT VERSION() AS version');
  const problem = unsupportedServer(String(row?.version));
  if (problem !== null) throw new Error(problem);
}

/** {@link assertSupportedServer} on a connection of `pool`. */
export async function assertSupportedPool(pool: MysqlPool): Promise<void> {
  const connection = await pool.getConnection();
  try {
    await assertSupportedServer(async (statement) => (await connection.query(statement))[0] as { version?: unknown }[]);
  } finally {
    connection.release();
  }
}
