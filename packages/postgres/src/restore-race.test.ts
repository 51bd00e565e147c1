// Restore versus the scrubber: once a job has been claimed its image cannot be restored, and a restore never races a deletion in flight.
import { describe, expect, it } from 'vitest';
import type { DataDeletionJob, Image } from '@image-catalog/core';
import { deleteImageRequest, fixtureLocations, imageFixture } from '@image-catalog/testkit';
import { openPostgresStorage } from './postgres-storage.js';
import { waitUntilBlocked } from './test-support/fixtures.js';
import { InstrumentedPool, named } from './test-support/instrumented-pool.js';
import { postgresUnreachable, skipNote } from './test-support/test-database.js';
import { useSchemaWithSecondPool } from './test-support/use-test-schema.js';

const DELETED_AT = new Date('2025-01-01T00:00:00.000Z');
/** Jobs are due at the delete (delay elapsed); the scrubber runs an hour later, always at the same time. */
const SCRUB_AT = new Date('2025-01-01T01:00:00.000Z');
const ROUNDS = 150;

describe.skipIf(postgresUnreachable !== null)(`postgres: restore versus claim${skipNote}`, () => {
  const db = useSchemaWithSecondPool({ secondPoolSize: 4 });

  /** The admin's side (restores) and a scrubber's side (claims) on separate pools. */
  async function actors() {
    const adminPool = new InstrumentedPool(db.pool);
    const admin = (await openPostgresStorage(adminPool, { schema: db.schema })).images;
    const scrubber = (await openPostgresStorage(db.secondPool, { schema: db.schema })).jobs;
    const claim = async () => (await scrubber.claimDue({ now: SCRUB_AT, limit: 100, leaseSeconds: 600 }))._unsafeUnwrap();
    const restore = async (id: string) => (await admin.restoreImage(id, SCRUB_AT))._unsafeUnwrap();
    return { adminPool, claim, restore };
  }

  /** An image with two locations, deleted in delayed mode with its jobs already due. */
  async function pendingDelete(): Promise<{ image: Image; jobs: readonly DataDeletionJob[] }> {
    const { images, catalog } = await openPostgresStorage(db.pool, { schema: db.schema });
    const id = globalThis.crypto.randomUUID();
    const image = (await catalog.createImage(imageFixture({ id, locations: fixtureLocations(id, 2) }), DELETED_AT))._unsafeUnwrap();
    const outcome = (
      await images.deleteImage(deleteImageRequest(image, DELETED_AT, { delayed: true, jobsDueAt: DELETED_AT }))
    )._unsafeUnwrap();
    if (outcome.kind !== 'Deleted') throw new Error(outcome.kind);
    return { image, jobs: outcome.jobs };
  }

  const jobStates = async (imageId: string) =>
    (
      await db.pool.query<{ state: string }>(`SELECT state FROM "${db.schema}".data_deletion_jobs WHERE image_id = $1 ORDER BY seq`, [
        imageId,
      ])
    ).rows.map((r) => r.state);

  it('a job claimed by a scrubber blocks the restore, even after its lease ran out and while it is still queued', async () => {
    const { claim, restore } = await actors();
    const { image, jobs } = await pendingDelete();
    expect((await claim()).map((j) => j.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    expect(await restore(image.id)).toEqual({ kind: 'DataAlreadyDeleted' });
    expect(await jobStates(image.id)).toEqual(['queued', 'queued']);
  });

  it('the claim commits just before the restore checks: the restore is refused', async () => {
    const { adminPool, claim, restore } = await actors();
    const { image } = await pendingDelete();
    let claimed: DataDeletionJob[] = [];
    adminPool.before(named('restoreBlocked'), async () => void (claimed = [...(await claim())]));
    expect(await restore(image.id)).toEqual({ kind: 'DataAlreadyDeleted' });
    expect(claimed.filter((j) => j.imageId === image.id)).toHaveLength(2);
  });

  it('a claim arriving while the restore holds the jobs skips them; after the restore they are cancelled, never handed out', async () => {
    const { adminPool, claim, restore } = await actors();
    const { image } = await pendingDelete();
    let claimedMeanwhile: DataDeletionJob[] | undefined;
    // The restore has locked the image and its jobs and decided to go ahead; a scrubber claims now.
    adminPool.before(named('restoreImage'), async () => void (claimedMeanwhile = [...(await claim())]));
    expect((await restore(image.id)).kind).toBe('Restored');
    expect(claimedMeanwhile?.filter((j) => j.imageId === image.id)).toEqual([]);
    expect(await jobStates(image.id)).toEqual(['cancelled', 'cancelled']);
    expect((await claim()).filter((j) => j.imageId === image.id)).toEqual([]);
  });

  it('a restore that finds a job locked by a claim in flight waits for it, then sees the claim and is refused', async () => {
    const { restore } = await actors();
    const { image } = await pendingDelete();
    // A scrubber's claim statement in the middle of its work: rows locked, claim counted, not yet committed.
    const scrubber = await db.secondPool.connect();
    try {
      await scrubber.query('BEGIN');
      await scrubber.query(`SELECT 1 FROM "${db.schema}".data_deletion_jobs WHERE image_id = $1 FOR UPDATE`, [image.id]);
      await scrubber.query(`UPDATE "${db.schema}".data_deletion_jobs SET claims = claims + 1 WHERE image_id = $1`, [image.id]);
      const restoring = restore(image.id);
      await waitUntilBlocked(db.pool, 'MATERIALIZED');
      await scrubber.query('COMMIT');
      expect(await restoring).toEqual({ kind: 'DataAlreadyDeleted' });
    } finally {
      scrubber.release();
    }
  });

  it(`free race, ${ROUNDS} rounds on two pools: restored with no job handed out, or refused with its jobs claimed, never both`, async () => {
    const { claim, restore } = await actors();
    const seen = { restored: 0, refused: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const { image } = await pendingDelete();
      const restoreFirst = round % 2 === 0;
      const [outcome, claimed] = restoreFirst
        ? await Promise.all([restore(image.id), claim()])
        : await Promise.all([claim(), restore(image.id)]).then(([c, o]) => [o, c] as const);
      const mine = claimed.filter((j) => j.imageId === image.id);
      if (outcome.kind === 'Restored') {
        seen.restored += 1;
        expect(mine).toEqual([]);
        expect(await jobStates(image.id)).toEqual(['cancelled', 'cancelled']);
      } else {
        seen.refused += 1;
        expect(outcome).toEqual({ kind: 'DataAlreadyDeleted' });
        // At least one job went to the scrubber (a claim may take one while the restore holds the other).
        expect(mine.length).toBeGreaterThan(0);
      }
    }
    console.log(`[postgres restore race] two pools rounds=${ROUNDS} restored=${seen.restored} refused-after-claim=${seen.refused}`);
  }, 60_000);
});
