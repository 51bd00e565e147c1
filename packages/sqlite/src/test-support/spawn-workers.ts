// Runs testkit's race workers as separate processes on one SQLite file (see race-worker.ts for how each opens it).
import { spawnRaceWorkers, type RaceWorkerConfig, type RaceWorkerResult } from '@image-catalog/testkit';

export interface SqliteRaceConfig extends RaceWorkerConfig {
  readonly dbPath: string;
  readonly busyTimeoutMs: number;
  /** Open the store with `groupCommit: true` and the database with `synchronous: 'FULL'` (durable mode). */
  readonly groupCommit?: boolean;
}

/** One process per config, all released at once; bounded at 45 s. */
export function runWorkers(configs: readonly SqliteRaceConfig[]): Promise<RaceWorkerResult[]> {
  return spawnRaceWorkers(new URL('./race-worker.ts', import.meta.url), configs, { timeoutMs: 45_000 });
}
