// The one-shot scrubber (`pnpm scrub`) with the service stopped: finishes due jobs and delivers events (exit 0), reports dead jobs (exit 3), refuses bad settings (exit 2).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { deleteImage } from '../examples/express-app/src/test-support/in-process-service.js';
import { createImageWithData, poll, readCatalog, readEventsFile, withReadOnlyDatabase } from './support/lifecycle.js';
import { runScrubProcess, serviceEnv, startServiceProcess, type ServiceProcess } from './support/service-process.js';

const MEMBER = 'demo-member-token';

interface ScrubReport {
  readonly scrub: { readonly claimed: number; readonly done: number; readonly dead: number };
  readonly relay: { readonly delivered: number };
  readonly jobs: { readonly queued: number; readonly done: number; readonly dead: number; readonly cancelled: number };
}

/** The summary line `scrub` prints on stdout (the one JSON line without a pino `level`). */
function report(output: string): ScrubReport {
  const line = output.split('\n').find((l) => l.startsWith('{"scrub":'));
  if (line === undefined) throw new Error(`no summary in the scrub output:\n${output.slice(-2000)}`);
  return JSON.parse(line) as ScrubReport;
}

describe('pnpm scrub (one-shot scrubber, from source)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'image-catalog-scrub-'));
  let service: ServiceProcess | null = null;

  afterEach(async () => {
    if (service !== null && service.child.exitCode === null && service.child.signalCode === null) {
      service.kill('SIGKILL');
      await service.exited;
    }
    service = null;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /**
   * A service in delayed mode (1 s) whose scrubber runs only at start, killed with SIGKILL right
   * after `count` deletes: their jobs are left queued and may have undelivered events.
   */
  async function leaveWorkBehind(
    count: number,
  ): Promise<{ env: Record<string, string>; dbPath: string; eventsFile: string; ids: string[]; files: Map<string, string> }> {
    const caseDir = mkdtempSync(path.join(root, 'case-'));
    const dataDir = path.join(caseDir, 'data');
    const dbPath = path.join(dataDir, 'images.db');
    const eventsFile = path.join(caseDir, 'events.jsonl');
    const env = serviceEnv(dataDir, {
      IMAGE_CATALOG_DELAYED_DELETE: '1',
      IMAGE_CATALOG_SCRUB_DELAY: '1',
      IMAGE_CATALOG_SCRUB_INTERVAL: '3600',
      IMAGE_CATALOG_EVENTS_FILE: eventsFile,
      // Events the killed relay may have claimed come back after 1 s, not a minute.
      IMAGE_CATALOG_RELAY_LEASE: '1',
    });
    service = await startServiceProcess(env);
    const api = `${service.url}/v2`;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await createImageWithData(api, MEMBER, new Uint8Array(512 + i).fill(i)));
    const files = new Map(readCatalog(dbPath).locations.map((l) => [l.image_id, fileURLToPath(l.url)]));
    for (const id of ids) expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
    service.kill('SIGKILL');
    await service.exited;
    service = null;
    // Wait (bounded) until every job and every undelivered event is due, so the scrub below has all of them to do.
    await poll('the jobs and events to become due', () =>
      withReadOnlyDatabase(dbPath, (db) => {
        const jobsDue = db.prepare("SELECT max(available_at) FROM data_deletion_jobs WHERE state = 'queued'").pluck().get() as number;
        const eventsDue =
          (db.prepare('SELECT max(available_at) FROM outbox_events WHERE delivered_at IS NULL').pluck().get() as number | null) ?? 0;
        return Math.max(jobsDue, eventsDue) < Date.now() ? true : null;
      }),
    );
    return { env, dbPath, eventsFile, ids, files };
  }

  it(
    'finishes due jobs and delivers pending events with the service stopped, then has nothing left (exit 0)',
    { timeout: 120_000 },
    async () => {
      const { env, dbPath, eventsFile, ids, files } = await leaveWorkBehind(4);
      const before = readCatalog(dbPath);
      expect(ids.map((id) => before.images.get(id)?.status)).toEqual(ids.map(() => 'pending_delete'));
      expect(before.jobs.map((j) => j.state)).toEqual(ids.map(() => 'queued'));
      const pendingEvents = before.events.filter((e) => e.delivered_at === null).length;
      for (const file of files.values()) expect(existsSync(file)).toBe(true);

      const scrub = await runScrubProcess(env);
      expect(scrub.code, scrub.output).toBe(0);
      expect(report(scrub.output)).toMatchObject({
        scrub: { claimed: 4, done: 4, dead: 0 },
        relay: { delivered: pendingEvents },
        jobs: { queued: 0, done: 4, dead: 0, cancelled: 0 },
      });
      const after = readCatalog(dbPath);
      for (const id of ids) {
        expect(after.images.get(id)).toMatchObject({ status: 'deleted' });
        expect(existsSync(files.get(id)!)).toBe(false);
      }
      expect(after.events.every((e) => e.delivered_at !== null)).toBe(true);
      const events = readEventsFile(eventsFile);
      expect(events.torn).toBe(0);
      expect(ids.map((id) => events.byImage.get(id)?.size)).toEqual(ids.map(() => 1));

      const again = await runScrubProcess(env, ['--quiet']);
      expect(again).toEqual({ code: 0, output: '' });
    },
  );

  it('exits 3 while a job is dead-lettered, and `--requeue-dead` finishes it once the store is fixed', { timeout: 120_000 }, async () => {
    const { env, dbPath, ids, files } = await leaveWorkBehind(2);
    const [broken, fine] = ids as [string, string];
    // A folder where the data file was: the file store refuses it as not a file it wrote, for good.
    const brokenFile = files.get(broken)!;
    unlinkSync(brokenFile);
    mkdirSync(brokenFile);

    for (let run = 0; run < 2; run++) {
      const scrub = await runScrubProcess(env);
      expect(scrub.code, scrub.output).toBe(3);
      expect(report(scrub.output).jobs).toMatchObject({ dead: 1, done: 1, queued: 0 });
      expect(scrub.output).toMatch(/"level":50[^\n]*1 dead-lettered data-deletion job\(s\)[^\n]*--requeue-dead/);
    }
    const stuck = readCatalog(dbPath);
    expect(stuck.images.get(fine)).toMatchObject({ status: 'deleted' });
    expect(existsSync(files.get(fine)!)).toBe(false);
    // Its data is not all gone, so the image stays pending_delete and its job says why.
    expect(stuck.images.get(broken)).toMatchObject({ status: 'pending_delete' });
    expect(stuck.jobs.find((j) => j.image_id === broken)).toMatchObject({
      state: 'dead',
      last_error: expect.stringMatching(/DataStoreRejected/),
    });

    rmdirSync(brokenFile);
    const requeue = await runScrubProcess(env, ['--requeue-dead']);
    expect(requeue.code, requeue.output).toBe(0);
    expect(report(requeue.output)).toMatchObject({ scrub: { done: 1 }, jobs: { queued: 0, done: 2, dead: 0 } });
    expect(readCatalog(dbPath).images.get(broken)).toMatchObject({ status: 'deleted' });
  });

  it('refuses bad settings and unknown options with exit 2, before touching anything', async () => {
    const dataDir = path.join(root, 'never-created');
    const cases: [Record<string, string>, string[], RegExp][] = [
      [{ IMAGE_CATALOG_SCRUB_INTERVAL: '0' }, [], /IMAGE_CATALOG_SCRUB_INTERVAL must be from 1/],
      [{ IMAGE_CATALOG_DELAYED_DELETE: 'yes' }, [], /IMAGE_CATALOG_DELAYED_DELETE must be 1 or 0/],
      [{ DATABASE_URL: 'mysql://db/images' }, [], /DATABASE_URL must be a postgres:\/\/ URL/],
      [{}, ['--requeue-everything'], /unknown option --requeue-everything/],
    ];
    const results = await Promise.all(cases.map(([extra, args]) => runScrubProcess(serviceEnv(dataDir, extra), args)));
    results.forEach((result, i) => {
      expect(result.code, result.output).toBe(2);
      expect(result.output).toMatch(cases[i]![2]);
    });
    expect(existsSync(dataDir)).toBe(false);
    const help = await runScrubProcess(serviceEnv(dataDir), ['--help']);
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/3 done but dead-lettered jobs need an operator/);
  });

  it('is a root script that builds first and runs the compiled entry point', () => {
    const manifest = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(manifest.scripts['scrub']).toMatch(/^tsc -b && node [^&|;]*examples\/express-app\/dist\/scrub\.js$/);
  });
});
