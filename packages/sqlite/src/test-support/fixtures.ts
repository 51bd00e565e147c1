// Shared test fixtures for the SQLite adapter: temp databases, sample images, table dumps, a wired DeleteImage.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import {
  DeleteImage,
  defaultDeletePolicy,
  type Clock,
  type DeleteImageOptions,
  type ImageRepository,
  type Principal,
} from '@image-catalog/core';
import { type NewImage } from '@image-catalog/core/authoring';

/** A fresh directory under the OS temp dir; `cleanup` removes it and everything in it. */
export function tempDir(prefix = 'image-catalog-sqlite-'): { readonly path: string; file(name: string): string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file: (name) => join(path, name),
    cleanup: () => rmSync(path, { recursive: true, force: true }),
  };
}

export const OWNER = 'project-a';

export const admin: Principal = { userId: 'admin-user', projectId: 'admin-project', roles: ['admin'] };
export const ownerMember: Principal = { userId: 'owner-user', projectId: OWNER, roles: ['member'] };

/** Deterministic UUIDs (version 4 layout) so runs and failures are reproducible. */
export function uuidFor(n: number, prefix = 0): string {
  const hex = (n >>> 0).toString(16).padStart(12, '0');
  return `${(prefix >>> 0).toString(16).padStart(8, '0')}-0000-4000-8000-${hex}`;
}

/** An image with every kind of child row: a delete must leave them all as they are. */
export function sampleImage(id: string, overrides: Partial<NewImage> = {}): NewImage {
  return {
    id,
    name: `image ${id.slice(-4)}`,
    owner: OWNER,
    status: 'active',
    visibility: 'shared',
    size: 1024,
    checksum: 'd41d8cd98f00b204e9800998ecf8427e',
    diskFormat: 'qcow2',
    containerFormat: 'bare',
    tags: ['ubuntu', 'lts'],
    properties: { os_distro: 'ubuntu', os_version: '24.04' },
    members: [{ memberId: 'project-b', status: 'accepted' }],
    locations: [
      { id: `${id}-loc-0`, url: `file:///var/lib/images/${id}`, metadata: { store: 'file' } },
      { id: `${id}-loc-1`, url: `file:///var/lib/images-mirror/${id}` },
    ],
    ...overrides,
  };
}

/** A clock that only moves when told, so timestamps in assertions are exact. */
export function fixedClock(start = new Date('2025-01-02T03:04:05.000Z')): Clock & { advance(ms: number): void } {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance(ms) {
      now += ms;
    },
  };
}

/** The use case as a host wires it, with no inline data deletion (jobs stay queued for inspection). */
export function deleteImageUseCase(repository: ImageRepository, clock: Clock, options: DeleteImageOptions = {}): DeleteImage {
  return new DeleteImage(repository, defaultDeletePolicy, clock, null, undefined, options);
}

/** Every row of every table (schema_migrations and sqlite_sequence included), in a stable order. */
export function dumpTables(db: BetterSqlite3.Database): string {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  const dump: Record<string, unknown[]> = {};
  for (const table of tables) {
    const rows = db.prepare(`SELECT * FROM "${table}"`).raw().all() as unknown[][];
    dump[table] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return JSON.stringify(dump);
}

/** The seeded shuffle lives in the testkit (race workers use it); re-exported for tests outside this package that import it from here. */
export { seededRandom, shuffled } from '@image-catalog/testkit/process';
