// image_count_total across processes: creates of one project racing from several processes on one file never take it past its limit.
import { afterAll, describe, expect, it } from 'vitest';
import { raceFigures } from '@image-catalog/testkit';
import { openDatabase } from './open-database.js';
import { createSqliteStorage } from './sqlite-storage.js';
import { tempDir } from './test-support/fixtures.js';
import { runWorkers, type SqliteRaceConfig } from './test-support/spawn-workers.js';

const LIMIT = 100;
const PROCESSES = 4;
const CREATES = 60;

describe('quota race across processes', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it(`${PROCESSES} processes each creating ${CREATES} images of one project with image_count_total = ${LIMIT}: exactly ${LIMIT} live`, async () => {
    const dbPath = dir.file('quota-race.db');
    const db = openDatabase(dbPath);
    try {
      const quotas = { imageCountTotal: LIMIT };
      // One image before the race, so the race is for the last LIMIT - 1 places.
      expect(
        (
          await createSqliteStorage(db, { quotas }).catalog.createImage({ id: globalThis.crypto.randomUUID(), owner: 'p1' }, new Date())
        ).isOk(),
      ).toBe(true);
      const config: SqliteRaceConfig = { mode: 'create', dbPath, busyTimeoutMs: 5_000, quotas, creates: CREATES, owner: 'p1' };
      const results = await runWorkers(Array.from({ length: PROCESSES }, () => config));
      const figures = raceFigures(results);
      console.log(
        `[sqlite quota race] processes=${PROCESSES} attempts=${figures.attempts} tally=${JSON.stringify(figures.tally)} overlap=${Math.round(figures.overlapMs)}ms`,
      );
      expect(figures.attempts).toBe(PROCESSES * CREATES);
      expect(figures.count('ok')).toBe(LIMIT - 1);
      expect(figures.count('QuotaExceeded')).toBe(PROCESSES * CREATES - (LIMIT - 1));
      const live = db.prepare("SELECT count(*) FROM images WHERE owner = 'p1' AND deleted = 0").pluck().get();
      expect(live).toBe(LIMIT);
    } finally {
      db.close();
    }
  });
});
