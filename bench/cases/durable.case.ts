// Case 1b: durable SQLite (synchronous=FULL) with concurrent deletes, group commit against one transaction per delete.
import type { Workspace } from '../support/database.js';
import { libraryOperation } from '../support/operations.js';
import type { BenchOptions } from '../support/options.js';
import { compare, emptyRuns, type ComparisonRow, type SideRuns } from '../support/stats.js';
import { checkDatabase, pairedRound, timeConcurrent, withFreshDatabases, type TimedOperation } from '../support/timing.js';

/** Deletes per batch before the other side takes its turn. */
const BATCH = 100;

/** Every delete fsyncs without group commit, so this case deletes fewer images per round than the others. */
function imagesFor(options: BenchOptions): number {
  return Math.min(options.images, options.quick ? 300 : 1000);
}

/**
 * Both sides are `DeleteImage.execute` on `createSqliteStorage` over a `synchronous: 'FULL'` file,
 * driven with `options.concurrency` deletes in flight; the "library" side has `groupCommit: true`,
 * the "baseline" side commits each delete on its own. The row's ops ratio is baseline/library, so
 * the speed-up of group commit is its inverse (printed in the note).
 */
export async function runDurableCase(options: BenchOptions, workspace: Workspace): Promise<ComparisonRow> {
  const template = await workspace.template(imagesFor(options));
  const grouped = emptyRuns();
  const single = emptyRuns();
  for (let round = 0; round <= options.sqliteRounds; round++) {
    const timed = round > 0;
    await withFreshDatabases(
      workspace,
      template,
      ['durable-group', 'durable-single'],
      async ([group, one]) => {
        const side = (op: TimedOperation, runs: SideRuns) => ({
          runBatch: (ids: readonly string[]) => timeConcurrent(ids, op, timed ? runs : null, options.concurrency),
          runs: timed ? runs : null,
        });
        await pairedRound(template.imageIds, BATCH, [
          side(libraryOperation(group!.db, { dataStore: null, store: { groupCommit: true } }), grouped),
          side(libraryOperation(one!.db, { dataStore: null }), single),
        ]);
        if (timed) {
          checkDatabase(group!.db, template.imageIds.length, grouped);
          checkDatabase(one!.db, template.imageIds.length, single);
        }
      },
      'FULL',
    );
  }
  const row = compare('sqlite', 'durable (synchronous=FULL): group commit vs one transaction per delete', grouped, single);
  const speedup = row.library.opsPerSec / row.baseline.opsPerSec;
  return {
    ...row,
    note:
      `both sides DeleteImage.execute (worker null) on synchronous=FULL, ${options.concurrency} deletes in flight, N = ${template.imageIds.length}; ` +
      `"lib" = groupCommit: true, "base" = one transaction per delete; group commit gives ${Number.isFinite(speedup) ? speedup.toFixed(2) : 'n/a'}× the throughput`,
  };
}
