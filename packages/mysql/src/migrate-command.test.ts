// The migrate command: usage errors (exit 2) in-process; the real executable for --check (1 pending, 0 current) and migrating.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATE_USAGE, runMigrateCommand } from './migrate-command.js';
import { appliedVersions, MIGRATIONS } from './migrations.js';
import { createTestDatabase, mysqlUnreachable, skipNote, type TestDatabase } from './test-support/test-database.js';

const CLI = fileURLToPath(new URL('./migrate-cli.ts', import.meta.url));

/** Runs the executable as a user would (from source through tsx): exit code and output. */
function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

async function inProcess(args: readonly string[]) {
  let out = '';
  let err = '';
  const code = await runMigrateCommand(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('image-catalog-mysql-migrate usage', () => {
  it.each([
    [[]],
    [['--check']],
    [['a', 'b']],
    [['--force', 'mysql://h/db']],
    [['not a url']],
    [['postgres://h/db']],
    [['mysql://127.0.0.1:3306/']],
  ])('%j is a usage error: exit 2, usage on stderr', async (args) => {
    const { code, out, err } = await inProcess(args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(MIGRATE_USAGE);
  });

  it.each([[['--help']], [['-h']], [['mysql://h/db', '--help']]])(
    '%j prints the usage on stdout and exits 0, touching nothing',
    async (args) => {
      const { code, out, err } = await inProcess(args);
      expect(code).toBe(0);
      expect(out).toBe(MIGRATE_USAGE);
      expect(err).toBe('');
    },
  );
});

describe.skipIf(mysqlUnreachable !== null)(`mysql: the migrate executable${skipNote}`, () => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('--check on a new database exits 1 naming the pending versions; migrating exits 0; --check then exits 0', async () => {
    db = await createTestDatabase({ migrate: false });
    const pending = await runCli([db.url, '--check']);
    expect(pending).toMatchObject({
      code: 1,
      stdout: `pending migrations: ${MIGRATIONS.map((m) => `${m.version} (${m.name})`).join(', ')}\n`,
    });
    expect(await appliedVersions(db.pool)).toEqual([]);

    const all = MIGRATIONS.map((m) => m.version);
    const latest = all.at(-1)!;
    expect(await runCli([db.url])).toMatchObject({ code: 0, stdout: `applied ${all.join(', ')}; schema at version ${latest}\n` });
    expect(await appliedVersions(db.pool)).toEqual(all);
    expect(await runCli(['--check', db.url])).toMatchObject({ code: 0, stdout: 'schema is current\n' });
    expect(await runCli([db.url])).toMatchObject({ code: 0, stdout: `schema is current at version ${latest}\n` });
  }, 60_000);

  it('a server that cannot be reached exits 1 with the reason on stderr', async () => {
    const { code, err } = await inProcess(['mysql://root@127.0.0.1:1/nowhere', '--check']);
    expect(code).toBe(1);
    expect(err).toMatch(/^image-catalog-mysql-migrate: .*ECONNREFUSED|connect/);
  });
});
