// Runs testkit's race workers as separate processes on one test schema (see race-worker.ts for how each reaches it).
import { spawnRaceWorkers, type RaceWorkerConfig, type RaceWorkerResult } from '@image-catalog/testkit';

export interface PostgresRaceConfig extends RaceWorkerConfig {
  readonly url: string;
  readonly schema: string;
  readonly poolSize: number;
}

/** One process per config, each with its own pool, all released at once; bounded at 90 s. */
export function runWorkers(configs: readonly PostgresRaceConfig[]): Promise<RaceWorkerResult[]> {
  return spawnRaceWorkers(new URL('./race-worker.ts', import.meta.url), configs, { timeoutMs: 90_000 });
}
