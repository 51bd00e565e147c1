// Seeded SQLite files for the benchmark: one template per size, copied to a fresh file for every round.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Principal } from '@image-catalog/core';
import type { NewImage } from '@image-catalog/core/authoring';
import { createSqliteStorage, openDatabase } from '@image-catalog/sqlite';

/** The project every benchmark image belongs to, and the caller deleting them (role `member` there). */
export const BENCH_PROJECT = 'bench-project';
export const BENCH_PRINCIPAL: Principal = { userId: 'bench-user', projectId: BENCH_PROJECT, roles: ['member'] };
export const BENCH_TOKEN = 'bench-token-0123456789abcdef';

/** A shared image with properties, tags, one member and one data location: every kind of child row. */
export function benchImage(id: string): NewImage {
  return {
    id,
    name: `bench-${id.slice(0, 8)}`,
    owner: BENCH_PROJECT,
    status: 'active',
    visibility: 'shared',
    size: 13_287_936,
    virtualSize: 41_126_400,
    checksum: '443b7623e27ecf03dc9e01ee93f67afe',
    osHashAlgo: 'sha512',
    osHashValue: 'ab'.repeat(64),
    diskFormat: 'qcow2',
    containerFormat: 'bare',
    minDisk: 1,
    minRam: 512,
    tags: ['ubuntu', 'lts', 'bench'],
    properties: { os_distro: 'ubuntu', os_version: '24.04', hw_disk_bus: 'virtio' },
    members: [{ memberId: 'bench-partner', status: 'accepted' }],
    locations: [{ url: `file:///var/lib/image-catalog/images/${id}`, metadata: { store: 'file' } }],
  };
}

/**
 * The image of the issue-9 "O(1) delete" row: 20 properties, 20 tags and 10 members, no data
 * location (so no job, which the minimal baseline does not write either).
 */
export function wideBenchImage(id: string): NewImage {
  const numbered = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
  return {
    ...benchImage(id),
    status: 'queued',
    size: null,
    virtualSize: null,
    checksum: null,
    osHashAlgo: null,
    osHashValue: null,
    tags: numbered('tag-', 20),
    properties: Object.fromEntries(numbered('property_', 20).map((key) => [key, `value of ${key}`])),
    members: numbered('partner-', 10).map((memberId) => ({ memberId, status: 'accepted' as const })),
    locations: [],
  };
}

/** Which images a template holds: `standard` is `benchImage`, `wide` is `wideBenchImage`. */
export type ImageShape = 'standard' | 'wide';

export interface Workspace {
  readonly dir: string;
  /** A template with `count` seeded images of one shape (created once per count and shape, then reused). */
  template(count: number, shape?: ImageShape): Promise<SeededTemplate>;
  /** A fresh copy of `template`, opened like the adapter expects (WAL, synchronous NORMAL unless told `FULL`). */
  fresh(template: SeededTemplate, label: string, synchronous?: 'NORMAL' | 'FULL'): FreshDatabase;
  /** A fresh copy of `template` for another process to open; `dispose` removes it. */
  copy(template: SeededTemplate, label: string): { readonly path: string; dispose(): void };
  cleanup(): void;
}

export interface SeededTemplate {
  readonly path: string;
  readonly imageIds: readonly string[];
}

export interface FreshDatabase {
  readonly db: BetterSqlite3.Database;
  readonly imageIds: readonly string[];
  /** Closes the connection and removes the file with its WAL and shared-memory files. */
  dispose(): void;
}

/** Seeds through the library's own `createImage`, so both sides start from rows the adapter wrote. */
async function seed(path: string, count: number, shape: ImageShape): Promise<SeededTemplate> {
  const image = shape === 'wide' ? wideBenchImage : benchImage;
  const db = openDatabase(path, { synchronous: 'NORMAL' });
  try {
    const { catalog } = createSqliteStorage(db);
    const now = new Date();
    const imageIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await catalog.createImage(image(globalThis.crypto.randomUUID()), now);
      if (created.isErr()) throw new Error(`seeding failed: ${JSON.stringify(created.error)}`);
      imageIds.push(created.value.id);
    }
    // Fold the WAL into the main file so a plain file copy carries everything.
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { path, imageIds };
  } finally {
    db.close();
  }
}

function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

export function createWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'image-catalog-bench-'));
  const templates = new Map<string, Promise<SeededTemplate>>();
  let copies = 0;
  const copy = (template: SeededTemplate, label: string) => {
    const path = join(dir, `${label.replace(/[^a-z0-9-]+/gi, '-')}-${++copies}.db`);
    copyFileSync(template.path, path);
    return { path, dispose: () => removeDatabaseFiles(path) };
  };
  return {
    dir,
    template(count, shape = 'standard') {
      const key = `${shape}-${count}`;
      let template = templates.get(key);
      if (template === undefined) {
        template = seed(join(dir, `template-${key}.db`), count, shape);
        templates.set(key, template);
      }
      return template;
    },
    copy,
    fresh(template, label, synchronous = 'NORMAL') {
      const file = copy(template, label);
      const db = openDatabase(file.path, { synchronous });
      return {
        db,
        imageIds: template.imageIds,
        dispose() {
          if (db.open) db.close();
          file.dispose();
        },
      };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
