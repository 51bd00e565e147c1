// The migration command as an operator runs it: a child process on a real database file, checked by its exit status and output.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runProcess, TYPESCRIPT_SOURCE_EXEC_ARGV } from '@image-catalog/testkit/process';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, pendingMigrations } from '../migrations.js';
import { createSqliteStorage } from '../sqlite-storage.js';
import { tempDir } from '../test-support/fixtures.js';

const BIN = fileURLToPath(new URL('./image-catalog-sqlite-migrate.ts', import.meta.url));
const LATEST = MIGRATIONS.at(-1)!;

function migrateCommand(...args: string[]) {
  return runProcess(process.execPath, [...TYPESCRIPT_SOURCE_EXEC_ARGV, BIN, ...args], { timeoutMs: 30_000 });
}

/** A database file migrated to all but the latest migration: what the previous release left behind. */
function databaseOneBehind(file: string): void {
  const db = new Database(file);
  try {
    migrate(db, MIGRATIONS.slice(0, -1));
  } finally {
    db.close();
  }
}

function pendingIn(file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    return pendingMigrations(db).map((m) => m.version);
  } finally {
    db.close();
  }
}

describe('image-catalog-sqlite-migrate', () => {
  const dir = tempDir('image-catalog-sqlite-migrate-');
  afterAll(() => dir.cleanup());

  it('--check on an out-of-date file exits 1, names the pending migrations and changes nothing', async () => {
    const file = dir.file('old.db');
    databaseOneBehind(file);
    const before = readFileSync(file);
    const run = await migrateCommand(file, '--check');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${LATEST.version}  ${LATEST.name}`);
    expect(run.stdout).not.toContain(`1  ${MIGRATIONS[0]!.name}`);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(pendingIn(file)).toEqual([LATEST.version]);
  });

  it('applies the pending migrations and prints them; then --check exits 0 and a second run applies nothing', async () => {
    const file = dir.file('upgrade.db');
    databaseOneBehind(file);
    const old = new Database(file);
    expect(() => createSqliteStorage(old)).toThrow(`pending migrations: ${LATEST.version} (${LATEST.name})`);
    old.close();

    const applied = await migrateCommand(file);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`applied 1 migration\n  ${LATEST.version}  ${LATEST.name}\nschema now at version ${LATEST.version}`);
    expect(pendingIn(file)).toEqual([]);
    const db = new Database(file);
    expect(() => createSqliteStorage(db)).not.toThrow();
    db.close();

    const check = await migrateCommand('--check', file);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`schema current (version ${LATEST.version})`);
    const again = await migrateCommand(file);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to apply');
  });

  it('creates and fully migrates a missing file; --check on a missing file lists every migration and creates nothing', async () => {
    const file = dir.file('new.db');
    const check = await migrateCommand(file, '--check');
    expect(check.code).toBe(1);
    for (const m of MIGRATIONS) expect(check.stdout).toContain(`${m.version}  ${m.name}`);
    expect(existsSync(file)).toBe(false);

    const run = await migrateCommand(file);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`applied ${MIGRATIONS.length} migrations`);
    expect(pendingIn(file)).toEqual([]);
  });

  it('exits 3 with the reason when the file is not a database', async () => {
    const file = dir.file('not-a-db.db');
    writeFileSync(file, 'hello, this is text and not SQLite '.repeat(100));
    for (const args of [[file, '--check'], [file]]) {
      const run = await migrateCommand(...args);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/cannot (check|migrate) .*not a database/);
    }
  });

  it.each([
    ['no file', []],
    ['two files', ['a.db', 'b.db']],
    ['an unknown option', ['a.db', '--force']],
    ['a value for --check', ['a.db', '--check=yes']],
  ])('exits 2 with the usage text on %s', async (_what, args) => {
    const run = await migrateCommand(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: image-catalog-sqlite-migrate <db-file> [--check]');
    expect(run.stdout).toBe('');
  });

  it('--help prints the usage text and exits 0', async () => {
    const run = await migrateCommand('--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('usage: image-catalog-sqlite-migrate');
  });
});
