// Case 1c: DeleteImage.execute on SQLite against the minimal transaction, for an image with 20 properties, 20 tags and 10 members; and the commit tail.
import type BetterSqlite3 from 'better-sqlite3';
import type { Workspace } from '../support/database.js';
import { createMinimalDelete } from '../support/minimal-delete.js';
import { libraryOperation } from '../support/operations.js';
import type { BenchOptions } from '../support/options.js';
import { compare, emptyRuns, type ComparisonRow, type SideRuns } from '../support/stats.js';
import { pairedRound, timeSequential, withFreshDatabases, type TimedOperation } from '../support/timing.js';

/** Deletes per batch before the other side takes its turn. */
const BATCH = 250;

/** The synchronous minimal transaction as a timed operation (no promise added to its time). */
function minimalOperation(db: BetterSqlite3.Database): TimedOperation {
  const minimalDelete = createMinimalDelete(db);
  return (imageId) => (minimalDelete(imageId) ? null : 'not deleted');
}

/** Every side must leave each image deleted with exactly one outbox event. */
export function checkDeleted(db: BetterSqlite3.Database, expected: number, runs: SideRuns): void {
  const count = (sql: string) => db.prepare(sql).pluck().get() as number;
  const deleted = count("SELECT count(*) FROM images WHERE deleted = 1 AND status = 'deleted'");
  const events = count("SELECT count(*) FROM outbox_events WHERE type = 'image.delete'");
  if (deleted !== expected) runs.problems.set(`database has ${deleted} deleted images, expected ${expected}`, 1);
  if (events !== expected) runs.problems.set(`database has ${events} outbox events, expected ${expected}`, 1);
}

/**
 * Sequential deletes, one warm-up round then `sqliteRounds` timed ones, each side on its own fresh
 * copy of a template of `wideImages` images, in alternating batches. Each delete is one transaction
 * on WAL with the default auto-checkpoint, so the pooled p99 and p99.9 include the commits that
 * landed on a checkpoint (the `checkpoint` case compares that with the checkpointer).
 */
export async function runWideDeleteCase(options: BenchOptions, workspace: Workspace): Promise<ComparisonRow> {
  const template = await workspace.template(options.wideImages, 'wide');
  const libraryRuns = emptyRuns();
  const baselineRuns = emptyRuns();
  // CPU time of this process during each side's timed batches: unlike wall time, it hardly moves
  // with what the other processes of a shared machine do to the disk.
  const cpuUs = new Map<SideRuns, number>([
    [libraryRuns, 0],
    [baselineRuns, 0],
  ]);
  for (let round = 0; round <= options.sqliteRounds; round++) {
    const timed = round > 0;
    await withFreshDatabases(workspace, template, ['wide-library', 'wide-minimal'], async ([lib, base]) => {
      const side = (op: TimedOperation, runs: SideRuns) => ({
        runBatch: async (ids: readonly string[]) => {
          const before = process.cpuUsage();
          const elapsed = await timeSequential(ids, op, timed ? runs : null);
          const used = process.cpuUsage(before);
          if (timed) cpuUs.set(runs, cpuUs.get(runs)! + used.user + used.system);
          return elapsed;
        },
        runs: timed ? runs : null,
      });
      await pairedRound(template.imageIds, BATCH, [
        side(libraryOperation(lib!.db, { dataStore: null }), libraryRuns),
        side(minimalOperation(base!.db), baselineRuns),
      ]);
      if (timed) {
        checkDeleted(lib!.db, template.imageIds.length, libraryRuns);
        checkDeleted(base!.db, template.imageIds.length, baselineRuns);
      }
    });
  }
  const deletes = template.imageIds.length * options.sqliteRounds;
  const libraryCpu = cpuUs.get(libraryRuns)! / deletes;
  const baselineCpu = cpuUs.get(baselineRuns)! / deletes;
  return compare(
    'delete',
    'DeleteImage.execute vs minimal tx (20 properties, 20 tags, 10 members)',
    libraryRuns,
    baselineRuns,
    `sequential, N = ${template.imageIds.length} per round; minimal tx = guarded UPDATE + outbox INSERT (bench/support/minimal-delete.ts); the library also reads the image with its 50 child rows in the transaction (writing none), decides on it, and writes the full Glance payload (tags and properties included); CPU µs per delete (process user + system during each side's batches): library ${libraryCpu.toFixed(0)}, minimal ${baselineCpu.toFixed(0)}, minimal/library ${(baselineCpu / libraryCpu).toFixed(2)} (what the deletes/s ratio tends to when the disk costs nothing)`,
  );
}
