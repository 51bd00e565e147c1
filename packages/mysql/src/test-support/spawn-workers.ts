// Runs testkit's race workers as separate processes on one test database (see race-worker.ts for how each reaches it).
import { spawnRaceWorkers, type RaceWorkerConfig, type RaceWorkerResult } from '@image-catalog/testkit';

export interface MysqlRaceConfig extends RaceWorkerConfig {
  /** mysql://…/<database> of the test database. */
  readonly url: string;
  readonly poolSize: number;
}

/** One process per config, each with its own pool, all released at once; bounded at 90 s. */
export function runWorkers(configs: readonly MysqlRaceConfig[]): Promise<RaceWorkerResult[]> {
  return spawnRaceWorkers(new URL('./race-worker.ts', import.meta.url), configs, { timeoutMs: 90_000 });
}
