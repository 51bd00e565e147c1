// Times operations one by one, and runs library and baseline in alternating batches so both see the same machine.
import type BetterSqlite3 from 'better-sqlite3';
import type { FreshDatabase, SeededTemplate, Workspace } from './database.js';
import { endRound, recordProblem, type SideRuns } from './stats.js';

/** `null` when the operation had the expected outcome, otherwise what happened instead. */
export type Outcome = string | null;

/** One delete; synchronous baselines return the outcome directly so no await is added to their time. */
export type TimedOperation = (imageId: string) => Outcome | Promise<Outcome>;

/**
 * Deletes the images one after another, timing each call with `performance.now()`; answers the
 * elapsed milliseconds. `runs === null` is an untimed warm-up. With `newTurn`, each delete is
 * issued from a new event-loop turn (`setImmediate`) and timed from before it: what a request
 * arriving then waits, including any timer callback (a checkpoint on the main thread) run first.
 */
export async function timeSequential(
  imageIds: readonly string[],
  op: TimedOperation,
  runs: SideRuns | null,
  { newTurn = false }: { readonly newTurn?: boolean } = {},
): Promise<number> {
  const started = performance.now();
  for (const id of imageIds) {
    const t0 = performance.now();
    if (newTurn) await new Promise<void>((resolve) => setImmediate(resolve));
    const pending = op(id);
    const outcome = pending instanceof Promise ? await pending : pending;
    const t1 = performance.now();
    if (runs === null) continue;
    runs.latenciesMs.push(t1 - t0);
    if (outcome === null) runs.ok++;
    else recordProblem(runs, outcome);
  }
  return performance.now() - started;
}

/**
 * Deletes the images with `concurrency` calls in flight (each lane starts its next delete when
 * the previous one settles), timing each call from its start to its result; answers the elapsed
 * milliseconds. `runs === null` is an untimed warm-up.
 */
export async function timeConcurrent(
  imageIds: readonly string[],
  op: TimedOperation,
  runs: SideRuns | null,
  concurrency: number,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < imageIds.length) {
      const id = imageIds[next++]!;
      const t0 = performance.now();
      const outcome = await op(id);
      const t1 = performance.now();
      if (runs === null) continue;
      runs.latenciesMs.push(t1 - t0);
      if (outcome === null) runs.ok++;
      else recordProblem(runs, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, imageIds.length) }, lane));
  return performance.now() - started;
}

/** One side of a paired round: deletes a batch of images and answers the elapsed milliseconds. */
export interface PairedSide {
  readonly runBatch: (imageIds: readonly string[]) => Promise<number>;
  /** `null` during warm-up. */
  readonly runs: SideRuns | null;
}

/**
 * Both sides delete the same image ids (each in its own copy of the database) in alternating
 * batches, the first side of each batch taking turns. Drift on a shared machine (other processes,
 * WAL checkpoints, thermal state) then lands on both sides alike instead of on whichever ran later.
 */
export async function pairedRound(imageIds: readonly string[], batchSize: number, sides: readonly [PairedSide, PairedSide]): Promise<void> {
  const from = sides.map((s) => s.runs?.latenciesMs.length ?? 0);
  const elapsed = [0, 0];
  for (let start = 0, batch = 0; start < imageIds.length; start += batchSize, batch++) {
    const ids = imageIds.slice(start, start + batchSize);
    for (const i of batch % 2 === 0 ? [0, 1] : [1, 0]) elapsed[i]! += await sides[i]!.runBatch(ids);
  }
  sides.forEach((side, i) => {
    if (side.runs !== null) endRound(side.runs, from[i]!, imageIds.length, elapsed[i]!);
  });
}

/**
 * What every side must leave behind after deleting all `expected` images: each one deleted, its
 * children untouched (one member each, still there: the image row hides them), one job and one
 * outbox event per image.
 */
export function checkDatabase(db: BetterSqlite3.Database, expected: number, runs: SideRuns): void {
  const count = (sql: string) => (db.prepare(sql).pluck().get() as number) ?? 0;
  const checks: [string, number][] = [
    ['deleted images', count("SELECT count(*) FROM images WHERE deleted = 1 AND status = 'deleted'")],
    ['outbox events', count("SELECT count(*) FROM outbox_events WHERE type = 'image.delete'")],
    ['data-deletion jobs', count('SELECT count(*) FROM data_deletion_jobs')],
    [
      'untouched members of deleted images',
      count('SELECT count(*) FROM image_members m JOIN images i ON i.id = m.image_id WHERE i.deleted = 1 AND m.deleted = 0'),
    ],
  ];
  for (const [what, actual] of checks) {
    if (actual !== expected) recordProblem(runs, `database has ${actual} ${what}, expected ${expected}`);
  }
}

/** Opens a fresh copy of `template` per label, runs `work` with them, then removes them. */
export async function withFreshDatabases<T>(
  workspace: Workspace,
  template: SeededTemplate,
  labels: readonly string[],
  work: (fresh: FreshDatabase[]) => Promise<T>,
  synchronous: 'NORMAL' | 'FULL' = 'NORMAL',
): Promise<T> {
  const fresh: FreshDatabase[] = [];
  try {
    for (const label of labels) fresh.push(workspace.fresh(template, label, synchronous));
    return await work(fresh);
  } finally {
    for (const f of fresh) f.dispose();
  }
}
