// Case 1: DeleteImage.execute on the SQLite storage against the same transaction written by hand on better-sqlite3.
import type BetterSqlite3 from 'better-sqlite3';
import type { Workspace } from '../support/database.js';
import { noopDataStore } from '../support/library.js';
import { runDurableCase } from './durable.case.js';
import { baselineOperation, libraryOperation } from '../support/operations.js';
import type { BenchOptions } from '../support/options.js';
import { compare, emptyRuns, type ComparisonRow, type SideRuns } from '../support/stats.js';
import { checkDatabase, pairedRound, timeSequential, withFreshDatabases, type TimedOperation } from '../support/timing.js';

type OperationFactory = (db: BetterSqlite3.Database) => TimedOperation;

/** Deletes per batch before the other side takes its turn. */
const BATCH = 100;

/** One warm-up round, then `sqliteRounds` timed rounds, each on a fresh database per side. */
async function comparison(
  options: BenchOptions,
  workspace: Workspace,
  name: string,
  library: OperationFactory,
  note?: string,
): Promise<ComparisonRow> {
  const template = await workspace.template(options.images);
  const libraryRuns = emptyRuns();
  const baselineRuns = emptyRuns();
  for (let round = 0; round <= options.sqliteRounds; round++) {
    const timed = round > 0;
    await withFreshDatabases(workspace, template, ['sqlite-library', 'sqlite-baseline'], async ([lib, base]) => {
      const side = (op: TimedOperation, runs: SideRuns) => ({
        runBatch: (ids: readonly string[]) => timeSequential(ids, op, timed ? runs : null),
        runs: timed ? runs : null,
      });
      await pairedRound(template.imageIds, BATCH, [side(library(lib!.db), libraryRuns), side(baselineOperation(base!.db), baselineRuns)]);
      if (timed) {
        checkDatabase(lib!.db, template.imageIds.length, libraryRuns);
        checkDatabase(base!.db, template.imageIds.length, baselineRuns);
      }
    });
  }
  return compare('sqlite', name, libraryRuns, baselineRuns, note);
}

export async function runSqliteCases(options: BenchOptions, workspace: Workspace): Promise<ComparisonRow[]> {
  return [
    await comparison(options, workspace, 'DeleteImage.execute (worker null) vs raw tx', (db) => libraryOperation(db, { dataStore: null })),
    await comparison(
      options,
      workspace,
      'DeleteImage.execute + inline no-op data store vs raw tx',
      (db) => libraryOperation(db, { dataStore: noopDataStore }),
      'not like for like: the library also runs the job inline and records it done (a second transaction)',
    ),
    await runDurableCase(options, workspace),
  ];
}
