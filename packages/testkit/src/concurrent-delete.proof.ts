// The multi-process concurrent-delete proof as one suite: seed images, race N worker processes deleting them all, then check what the store holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageCatalog } from '@image-catalog/core/authoring';
import { expectOneWinnerPerImage } from './process/expect-one-winner.js';
import { raceFigures } from './process/race-figures.js';
import type { RaceWorkerResult } from './process/race-protocol.js';
import { fixtureLocations, imageFixture } from './fixtures/image-fixture.js';

/** What the store holds after the race, read by the adapter with its own SQL (or whatever it stores in). */
export interface ConcurrentDeleteFacts {
  /** Outbox events per image id. */
  readonly eventsPerImage: ReadonlyMap<string, number>;
  /** Data-deletion jobs per image id, and how many distinct locations they name. */
  readonly jobsPerImage: ReadonlyMap<string, { readonly jobs: number; readonly locations: number }>;
  /** Image rows grouped by status and deleted flag. */
  readonly imageStates: readonly { readonly status: string; readonly deleted: boolean; readonly count: number }[];
  /** Property, tag, member and location rows flagged deleted (a delete must write none). */
  readonly deletedChildRows: number;
  /** Location rows whose stored status is not `active` (a delete must change none). */
  readonly nonActiveLocations: number;
  /** Every outbox event's payload, as JSON text. */
  readonly eventPayloads: readonly string[];
}

/** How the proof reaches one adapter; every method runs in the test process except the workers `race` spawns. */
export interface ConcurrentDeleteHarness {
  /** Opens a fresh store (called once, before the seeding) and answers its catalog. */
  setUp(): Promise<{ readonly catalog: ImageCatalog }>;
  tearDown(): Promise<void>;
  /** Spawns `processes` race workers in `delete` mode over the `images` seeded images (the adapter picks seeds or offsets) and waits for them. */
  race(processes: number, images: number): Promise<RaceWorkerResult[]>;
  facts(): Promise<ConcurrentDeleteFacts>;
  /** A line explaining why the suite is skipped, or `null` to run it. */
  readonly skip?: string | null;
}

const PROCESSES = 4;
const IMAGES = 240;
/** Images with zero, one and two locations, so job counts per image differ. */
const locationCount = (i: number) => i % 3;

/**
 * `PROCESSES` (4) OS processes each run `DeleteImage` over the same `IMAGES` (240) images: every
 * image has exactly one winner and every other attempt is `ImageNotFound` (no `StorageUnavailable`
 * under this trivial load: that would be a locking bug); the store holds one event and one set of
 * jobs per image, every image `deleted`, no child row written, and no event naming a location.
 */
export function describeConcurrentDeleteProof(name: string, harness: ConcurrentDeleteHarness): void {
  const skip = harness.skip ?? null;
  describe.skipIf(skip !== null)(`${name}: concurrent deletes across processes${skip ?? ''}`, () => {
    const ids = Array.from({ length: IMAGES }, () => globalThis.crypto.randomUUID());

    beforeAll(async () => {
      const { catalog } = await harness.setUp();
      const now = new Date();
      for (const [i, id] of ids.entries()) {
        const image = imageFixture({ id, members: [{ memberId: 'project-b' }], locations: fixtureLocations(id, locationCount(i)) });
        expect((await catalog.createImage(image, now)).isOk()).toBe(true);
      }
    });

    afterAll(() => harness.tearDown());

    it(`${PROCESSES} processes x ${IMAGES} images: one success per image, one event and one set of jobs; every other attempt is ImageNotFound`, async () => {
      const started = performance.now();
      const results = await harness.race(PROCESSES, IMAGES);
      const wallMs = performance.now() - started;
      const figures = raceFigures(results);
      const ok = figures.count('ok');
      const notFound = figures.count('ImageNotFound');
      console.log(
        `[${name} concurrency] processes=${PROCESSES} images=${IMAGES} attempts=${figures.attempts} successes=${ok} ` +
          `not-found=${notFound} other=${figures.attempts - ok - notFound} decided-in-store=${figures.decidedInStore} ` +
          `counters=${JSON.stringify(figures.counters)} worker-loop-ms=[${figures.workerLoopMs.join(', ')}] ` +
          `all-racing-overlap-ms=${figures.overlapMs} wall-ms=${Math.round(wallMs)} (incl. process start-up)`,
      );
      expectOneWinnerPerImage(results, IMAGES);

      const facts = await harness.facts();
      expect(facts.eventsPerImage.size).toBe(IMAGES);
      expect([...facts.eventsPerImage.values()].every((n) => n === 1)).toBe(true);
      for (const [i, id] of ids.entries()) {
        expect(facts.jobsPerImage.get(id) ?? { jobs: 0, locations: 0 }).toEqual({ jobs: locationCount(i), locations: locationCount(i) });
      }
      expect(facts.imageStates).toEqual([{ status: 'deleted', deleted: true, count: IMAGES }]);
      // No delete wrote a child row: every one is as created, the image rows alone say they are gone.
      expect(facts.deletedChildRows).toBe(0);
      expect(facts.nonActiveLocations).toBe(0);
      // Every event's payload is the image as committed (status deleted), never a location.
      for (const payload of facts.eventPayloads) {
        expect(JSON.parse(payload)).toMatchObject({ status: 'deleted', deleted: true });
        expect(payload).not.toContain('fixture://');
      }
    }, 120_000);
  });
}
