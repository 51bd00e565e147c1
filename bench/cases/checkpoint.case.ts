// Case 1d: the commit tail before and after moving WAL checkpoints off the request path: the same deletes with SQLite's automatic checkpoints, with the checkpointer, and with checkpoints on a main-thread timer.
import { statSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { silentLogger, type StorageBackgroundWork } from '@image-catalog/core';
import { createSqliteStorage, DEFAULT_CHECKPOINT_INTERVAL_MS, DEFAULT_MAX_WAL_BYTES } from '@image-catalog/sqlite';
import type { Workspace } from '../support/database.js';
import { libraryOperation } from '../support/operations.js';
import type { BenchOptions } from '../support/options.js';
import { emptyRuns, endRound, summarise, type LatencySummary, type SideRuns } from '../support/stats.js';
import { timeSequential, withFreshDatabases } from '../support/timing.js';
import { checkDeleted } from './delete.case.js';

/** How one variant checkpoints: what it starts before its deletes (and stops after them). */
interface Variant {
  readonly name: string;
  readonly background: (db: BetterSqlite3.Database) => StorageBackgroundWork | null;
}

/**
 * The alternative the checkpointer was measured against: automatic checkpoints off and a PASSIVE
 * checkpoint on the connection itself, on a timer of the checkpointer's interval. No size bound is
 * needed: the checkpoint runs between commits, so it copies everything and the log starts over.
 */
function mainThreadTimer(db: BetterSqlite3.Database): StorageBackgroundWork {
  let timer: NodeJS.Timeout | null = null;
  return {
    start() {
      db.pragma('wal_autocheckpoint = 0');
      timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), DEFAULT_CHECKPOINT_INTERVAL_MS);
      timer.unref();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      db.pragma('wal_autocheckpoint = 1000');
    },
  };
}

const VARIANTS: readonly Variant[] = [
  { name: 'automatic checkpoints (SQLite default, every 1000 pages, inside the commit)', background: () => null },
  { name: 'checkpointer (storage.background: worker thread)', background: (db) => createSqliteStorage(db).background },
  { name: 'PASSIVE on a main-thread timer (the alternative)', background: mainThreadTimer },
];

export interface CheckpointVariantResult {
  readonly name: string;
  readonly summary: LatencySummary;
  /** The WAL file's size at the end of each timed round, in MiB. */
  readonly walMiBAtEnd: readonly number[];
}

export interface CheckpointResult {
  readonly section: 'checkpoint';
  /** Timed deletes per round and variant (after as many untimed ones on the same database). */
  readonly deletesPerRound: number;
  /** In VARIANTS order: automatic, checkpointer, main-thread timer. */
  readonly variants: readonly CheckpointVariantResult[];
  readonly valid: boolean;
  readonly problems: readonly string[];
}

/**
 * `DeleteImage.execute` on images with 20 properties, 20 tags and 10 members (the `delete` case's),
 * one after another, each issued from a new event-loop turn and timed from before it, so a
 * checkpoint that holds the event loop counts against the delete that waited for it. Per round
 * every variant deletes the same images from its own fresh copy, one variant after the other (the
 * first taking turns), each with its checkpointing started before its first delete and stopped
 * after its last: a main-thread timer must not fire during another variant's deletes. The first
 * half of each round is untimed: it grows the WAL file to the size the variant keeps it at, as in
 * a service that has been running (a WAL that grows into new blocks costs every fsync more).
 */
export async function runCheckpointCase(options: BenchOptions, workspace: Workspace): Promise<CheckpointResult> {
  const template = await workspace.template(options.wideImages, 'wide');
  const half = Math.floor(template.imageIds.length / 2);
  const [warmUp, measured] = [template.imageIds.slice(0, half), template.imageIds.slice(half)];
  const runs = VARIANTS.map(() => emptyRuns());
  const walMiB = VARIANTS.map((): number[] => []);
  for (let round = 0; round <= options.sqliteRounds; round++) {
    const timed = round > 0;
    const order = VARIANTS.map((_, i) => (i + round) % VARIANTS.length);
    for (const v of order) {
      await withFreshDatabases(workspace, template, [`checkpoint-${v}`], async ([fresh]) => {
        const db = fresh!.db;
        const side: SideRuns | null = timed ? runs[v]! : null;
        const operation = libraryOperation(db, { dataStore: null });
        const background = VARIANTS[v]!.background(db);
        background?.start({ logger: silentLogger });
        const from = side?.latenciesMs.length ?? 0;
        try {
          // The first half brings the WAL file to its working size (a running service's WAL has one); the second is timed.
          await timeSequential(warmUp, operation, null, { newTurn: true });
          const elapsed = await timeSequential(measured, operation, side, { newTurn: true });
          if (side !== null) {
            endRound(side, from, measured.length, elapsed);
            walMiB[v]!.push(Math.round((statSync(`${db.name}-wal`).size / 1024 / 1024) * 10) / 10);
          }
        } finally {
          await background?.stop();
        }
        if (side !== null) checkDeleted(db, template.imageIds.length, side);
      });
    }
  }
  const problems = runs.flatMap((r, i) => [...r.problems].map(([p, n]) => `${VARIANTS[i]!.name}: ${p} ×${n}`));
  return {
    section: 'checkpoint',
    deletesPerRound: measured.length,
    variants: VARIANTS.map((variant, i) => ({
      name: variant.name,
      summary: summarise(runs[i]!.latenciesMs, runs[i]!.roundOpsPerSec),
      walMiBAtEnd: walMiB[i]!,
    })),
    valid: problems.length === 0,
    problems,
  };
}

/** The checkpointer's defaults, for the report. */
export const CHECKPOINTER_SETTINGS = `interval ${DEFAULT_CHECKPOINT_INTERVAL_MS} ms, maxWalBytes ${DEFAULT_MAX_WAL_BYTES / 1024 / 1024} MiB`;
