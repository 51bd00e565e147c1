// Kill -9 under load: the example service is SIGKILLed during concurrent deletes, round after round, and after each restart nothing is lost or done twice.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom, shuffled } from '@image-catalog/testkit/process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteImage } from '../examples/express-app/src/test-support/in-process-service.js';
import {
  createImageWithData,
  dataFiles,
  getStatus,
  poll,
  readCatalog,
  readEventsFile,
  withReadOnlyDatabase,
  type JobRow,
  type LocationRow,
  type OutboxRow,
} from './support/lifecycle.js';
import { serviceEnv, startServiceProcess, type ServiceProcess } from './support/service-process.js';

const ROUNDS = Number(process.env.KILL9_ROUNDS ?? 20);
const BATCH = Number(process.env.KILL9_BATCH ?? 12);
const SEED = Number(process.env.KILL9_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MEMBER = 'demo-member-token';

interface Tracked {
  readonly id: string;
  got204: boolean;
}

function groupBy<T extends { readonly image_id: string }>(rows: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) out.set(row.image_id, [...(out.get(row.image_id) ?? []), row]);
  return out;
}

/** Runs `work` over `items`, at most `lanes` at once. */
async function inLanes<T, R>(items: readonly T[], lanes: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

describe('kill -9 during concurrent deletes (example service, SQLite, file store, events file)', () => {
  let root = '';
  let service: ServiceProcess | null = null;

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'image-catalog-kill9-'));
  });

  afterAll(async () => {
    if (service !== null && service.child.exitCode === null && service.child.signalCode === null) {
      service.kill('SIGKILL');
      await service.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it(`loses nothing and does nothing twice over ${ROUNDS} kills`, { timeout: 600_000 }, async () => {
    const started = Date.now();
    console.log(`kill -9 test: seed ${SEED} (replay with KILL9_SEED=${SEED}), ${ROUNDS} rounds of ${BATCH} new images`);
    const random = seededRandom(SEED);
    const dataDir = path.join(root, 'data');
    const dbPath = path.join(dataDir, 'images.db');
    const imagesDir = path.join(dataDir, 'images');
    const eventsFile = path.join(root, 'events.jsonl');
    const env = serviceEnv(dataDir, {
      IMAGE_CATALOG_EVENTS_FILE: eventsFile,
      IMAGE_CATALOG_INLINE_LEASE: '1',
      IMAGE_CATALOG_SCRUB_INTERVAL: '1',
      // Work a killed scrubber or relay had claimed comes back after 2 s instead of minutes.
      IMAGE_CATALOG_SCRUB_LEASE: '2',
      IMAGE_CATALOG_RELAY_LEASE: '2',
    });

    const tracked = new Map<string, Tracked>();
    const anomalies = new Set<string>();
    const anomaly = (message: string) => anomalies.add(message);
    let deletesSent = 0;
    let answered204 = 0;
    let unanswered = 0;
    const killedAfter: string[] = [];

    /** Waits (bounded) until the restarted service has finished every left-over job and delivered every event. */
    const quiescent = () =>
      poll(
        'the scrubber and the relay to finish left-over work',
        () =>
          withReadOnlyDatabase(dbPath, (db) => {
            const jobs = db.prepare("SELECT count(*) FROM data_deletion_jobs WHERE state = 'queued'").pluck().get() as number;
            const events = db.prepare('SELECT count(*) FROM outbox_events WHERE delivered_at IS NULL').pluck().get() as number;
            return jobs === 0 && events === 0 ? true : null;
          }),
        { attempts: 600, intervalMs: 50 },
      );

    /** Checks every image so far against the catalog, the data folder, the events file and the API. */
    const check = async (api: string, round: number): Promise<Tracked[]> => {
      const snapshot = readCatalog(dbPath);
      const events = readEventsFile(eventsFile);
      const files = dataFiles(imagesDir);
      const jobsOf = groupBy<JobRow>(snapshot.jobs);
      const locationsOf = groupBy<LocationRow>(snapshot.locations);
      const outboxOf = groupBy<OutboxRow>(snapshot.events);
      const live: Tracked[] = [];
      const expectations: { id: string; status: number }[] = [];

      for (const image of tracked.values()) {
        const { id } = image;
        const row = snapshot.images.get(id);
        if (row === undefined) {
          anomaly(`${id}: no catalog row`);
          continue;
        }
        const jobs = jobsOf.get(id) ?? [];
        const outbox = outboxOf.get(id) ?? [];
        const seen = events.byImage.get(id) ?? new Set<string>();
        const ownFiles = files.byImage.get(id) ?? [];
        if (row.deleted === 1) {
          if (row.status !== 'deleted') anomaly(`${id}: committed delete in status ${row.status}`);
          const locations = locationsOf.get(id) ?? [];
          if (locations.length !== 1 || jobs.length !== locations.length)
            anomaly(`${id}: ${jobs.length} data-deletion job(s) for ${locations.length} location(s)`);
          for (const job of jobs) {
            if (job.state !== 'done') anomaly(`${id}: data-deletion job ${job.state} (${job.last_error ?? ''})`);
            else if (existsSync(fileURLToPath(job.url))) anomaly(`${id}: job done but its data file is still there`);
          }
          if (ownFiles.length > 0) anomaly(`${id}: deleted, data files left: ${ownFiles.join(', ')}`);
          if (outbox.length !== 1) anomaly(`${id}: ${outbox.length} outbox events for one delete`);
          const event = outbox[0];
          if (event !== undefined && (event.delivered_at === null || seen.size !== 1 || !seen.has(event.id))) {
            anomaly(
              `${id}: ${seen.size} distinct event(s) in the events file, outbox event ${event.delivered_at === null ? 'undelivered' : 'delivered'}`,
            );
          }
          for (const eventId of seen) {
            const record = events.byId.get(eventId)!;
            if (record.type !== 'image.delete' || record.payload['id'] !== id || record.payload['deleted'] !== true)
              anomaly(`${id}: malformed event ${eventId}`);
          }
          expectations.push({ id, status: 404 });
        } else {
          if (image.got204) anomaly(`${id}: DELETE answered 204 but the image is live (${row.status})`);
          if (row.status !== 'active') anomaly(`${id}: live image in status ${row.status}`);
          if (ownFiles.length !== 1) anomaly(`${id}: live image with ${ownFiles.length} data files`);
          if (jobs.length > 0) anomaly(`${id}: live image with ${jobs.length} data-deletion job(s)`);
          if (outbox.length > 0 || seen.size > 0) anomaly(`${id}: live image with an image.delete event`);
          expectations.push({ id, status: 200 });
          live.push(image);
        }
      }
      if (events.torn > 0) anomaly(`round ${round}: ${events.torn} torn line(s) in the events file`);
      for (const imageId of events.byImage.keys()) if (!tracked.has(imageId)) anomaly(`event for an unknown image ${imageId}`);
      for (const imageId of files.byImage.keys()) if (!tracked.has(imageId)) anomaly(`data file of an unknown image ${imageId}`);

      await inLanes(expectations, 8, async ({ id, status }) => {
        const got = await getStatus(api, MEMBER, id);
        if (got !== status) anomaly(`${id}: GET answered ${got}, expected ${status}`);
      });
      return live;
    };

    let leftovers: Tracked[] = [];
    /** How long a whole batch of deletes took to be answered (the longest seen; a first guess until then). */
    let batchMs = 100;
    for (let round = 0; round <= ROUNDS; round++) {
      service = await startServiceProcess(env);
      const api = `${service.url}/v2`;
      if (round > 0) {
        await quiescent();
        leftovers = await check(api, round);
      }
      if (round === ROUNDS) break;

      const fresh = await inLanes(
        Array.from({ length: BATCH }, (_, i) => i),
        4,
        async (i) => {
          const bytes = new Uint8Array(256 + Math.floor(random() * 4096)).fill(i);
          const id = await createImageWithData(api, MEMBER, bytes, { name: `kill9-r${round}-${i}` });
          const image: Tracked = { id, got204: false };
          tracked.set(id, image);
          return image;
        },
      );

      // Fire every delete at once, then SIGKILL (mode picked at random):
      // 't' at a random moment within the time the longest batch took to be answered (before,
      //     during and after commits);
      // 'n' a few milliseconds after a random number of answers (inline data deletion in flight);
      // 'e' as soon as the relay appends to the events file, before it can record the delivery
      //     (bounded: after 3 s at the latest).
      const targets = shuffled([...fresh, ...leftovers], random);
      const pick = random();
      const mode = pick < 0.4 ? 't' : pick < 0.8 ? 'n' : 'e';
      const killAtMs = random() * batchMs;
      const killAfterAnswers = 1 + Math.floor(random() * (targets.length - 1));
      const extraMs = Math.floor(random() * 8);
      const running = service;
      const firedAt = performance.now();
      const eventsBefore = existsSync(eventsFile) ? statSync(eventsFile).size : 0;
      let answers = 0;
      let killed = false;
      let markKilled!: () => void;
      const killedNow = new Promise<void>((done) => (markKilled = done));
      const timers: NodeJS.Timeout[] = [];
      const kill = () => {
        if (killed) return;
        killed = true;
        timers.forEach(clearTimeout);
        killedAfter.push(`${mode}${answers}`);
        running.kill('SIGKILL');
        markKilled();
      };
      if (mode === 't') timers.push(setTimeout(kill, killAtMs));
      if (mode === 'e') {
        const watch = () => {
          if (existsSync(eventsFile) && statSync(eventsFile).size > eventsBefore) kill();
          else if (!killed) timers.push(setTimeout(watch, 1));
        };
        watch();
        timers.push(setTimeout(kill, 3_000));
      }
      const outcomes = await Promise.allSettled(
        targets.map(async (image) => {
          deletesSent++;
          const res = await deleteImage(api, MEMBER, image.id);
          await res.arrayBuffer();
          if (res.status === 204) {
            image.got204 = true;
            answered204++;
          } else {
            anomaly(`${image.id}: DELETE answered ${res.status}`);
          }
          if (++answers === killAfterAnswers && mode === 'n') timers.push(setTimeout(kill, extraMs));
          if (answers === targets.length) batchMs = Math.max(batchMs, performance.now() - firedAt);
        }),
      );
      if (mode === 'e') await killedNow;
      kill();
      await running.exited;
      unanswered += outcomes.filter((o) => o.status === 'rejected').length;
    }

    // A clean stop at the end: exit 0, nothing pending that is due.
    const last = service!;
    last.kill('SIGTERM');
    const exit = await last.exited;
    service = null;

    const final = readCatalog(dbPath);
    const events = readEventsFile(eventsFile);
    const committed = [...tracked.keys()].filter((id) => final.images.get(id)?.deleted === 1).length;
    const committedUnanswered = [...tracked.values()].filter((t) => !t.got204 && final.images.get(t.id)?.deleted === 1).length;
    const figures = {
      seed: SEED,
      rounds: ROUNDS,
      images: tracked.size,
      deletesAttempted: deletesSent,
      answered204,
      unanswered,
      committedDeletes: committed,
      committedWithout204: committedUnanswered,
      stillLive: tracked.size - committed,
      // Jobs a killed process left behind, finished by the scrubber of the next one.
      jobsFinishedByScrubber: final.jobs.filter((j) => j.state === 'done' && j.claimed_at !== null).length,
      eventLines: events.lines,
      duplicatesDropped: events.duplicates,
      answersBeforeKill: killedAfter.join(','),
      anomalies: anomalies.size,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    console.log(`kill -9 figures: ${JSON.stringify(figures)}`);
    if (anomalies.size > 0) console.log(`anomalies:\n  ${[...anomalies].slice(0, 50).join('\n  ')}`);

    expect(exit).toEqual({ code: 0, signal: null });
    expect(answered204).toBeGreaterThan(0);
    expect(committed).toBeGreaterThanOrEqual(answered204);
    expect([...anomalies]).toEqual([]);
  });
});
