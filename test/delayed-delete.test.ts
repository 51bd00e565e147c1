// Delayed-delete mode end to end: DELETE leaves the image pending_delete with its data, an admin can restore it, and a killed service's scrubber finishes after restart.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEMO_TOKENS } from '../examples/express-app/src/config.js';
import {
  authHeaders,
  deleteImage,
  startInProcessService,
  type InProcessService,
} from '../examples/express-app/src/test-support/in-process-service.js';
import { createImageWithData, getStatus, poll, readCatalog, readEventsFile } from './support/lifecycle.js';
import { serviceEnv, startServiceProcess, type ServiceProcess } from './support/service-process.js';

const MEMBER = 'demo-member-token';
const ADMIN = DEMO_TOKENS['demo-admin-token']!;
const MEMBER_PRINCIPAL = DEMO_TOKENS[MEMBER]!;

describe('delayed delete, restore before the delay (example service in process)', () => {
  let running: InProcessService | null = null;
  afterEach(async () => {
    await running?.close();
    running = null;
  });

  it('keeps the data of a pending_delete image until an admin restores it, intact', async () => {
    // A delay far beyond the test, so the restore always comes first.
    running = await startInProcessService({
      env: { IMAGE_CATALOG_DELAYED_DELETE: '1', IMAGE_CATALOG_SCRUB_DELAY: '600', IMAGE_CATALOG_SCRUB_INTERVAL: '1' },
      eventsFile: true,
    });
    const { api, service, dataDir } = running;
    const dbPath = path.join(dataDir, 'images.db');
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) % 251);
    const id = await createImageWithData(api, MEMBER, bytes, { name: 'keep-me' });
    const file = fileURLToPath(readCatalog(dbPath).locations.find((l) => l.image_id === id)!.url);

    expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
    expect(await getStatus(api, MEMBER, id)).toBe(404);
    const pending = readCatalog(dbPath);
    const row = pending.images.get(id)!;
    expect(row).toMatchObject({ status: 'pending_delete', deleted: 1 });
    const [job] = pending.jobs.filter((j) => j.image_id === id);
    expect(job).toMatchObject({ state: 'queued', claimed_at: null, available_at: row.deleted_at! + 600_000 });
    expect(readFileSync(file)).toEqual(Buffer.from(bytes));
    // The delete is announced when it commits, not when the data goes.
    await poll('the image.delete event', () => (readEventsFile(running!.config.eventsFile!).byImage.get(id)?.size === 1 ? true : null));

    const restore = service.catalog.restoreImage;
    const refused = await restore.execute({ imageId: id, principal: MEMBER_PRINCIPAL });
    expect(refused.isErr() && refused.error.kind).toBe('RestoreForbidden');
    const restored = await restore.execute({ imageId: id, principal: ADMIN });
    expect(restored.isOk() && restored.value.status).toBe('active');

    const res = await fetch(`${api}/images/${id}`, { headers: authHeaders(MEMBER) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, name: 'keep-me', status: 'active', size: bytes.length });
    expect(readFileSync(file)).toEqual(Buffer.from(bytes));
    expect(
      readCatalog(dbPath)
        .jobs.filter((j) => j.image_id === id)
        .map((j) => j.state),
    ).toEqual(['cancelled']);

    // The scrubber never touches a cancelled job, and the image can be deleted again like any other.
    await service.catalog.scrubber.runOnce();
    expect(existsSync(file)).toBe(true);
    expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
    expect(readCatalog(dbPath).images.get(id)).toMatchObject({ status: 'pending_delete' });
  });
});

describe('delayed delete across kill -9 (example service as a child process)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'image-catalog-delayed-'));
  let service: ServiceProcess | null = null;

  afterAll(async () => {
    if (service !== null && service.child.exitCode === null && service.child.signalCode === null) {
      service.kill('SIGKILL');
      await service.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('finishes a pending delete after the delay once the killed service restarts', { timeout: 120_000 }, async () => {
    const dataDir = path.join(root, 'data');
    const dbPath = path.join(dataDir, 'images.db');
    const eventsFile = path.join(root, 'events.jsonl');
    const env = serviceEnv(dataDir, {
      IMAGE_CATALOG_DELAYED_DELETE: '1',
      IMAGE_CATALOG_SCRUB_DELAY: '3',
      IMAGE_CATALOG_SCRUB_INTERVAL: '1',
      IMAGE_CATALOG_EVENTS_FILE: eventsFile,
    });
    service = await startServiceProcess(env);
    let api = `${service.url}/v2`;
    const id = await createImageWithData(api, MEMBER, new Uint8Array(3000).fill(9));
    const file = fileURLToPath(readCatalog(dbPath).locations.find((l) => l.image_id === id)!.url);

    expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
    service.kill('SIGKILL');
    await service.exited;

    // Killed before the delay: the image is pending_delete, its job queued and never claimed, its data there.
    const killed = readCatalog(dbPath);
    expect(killed.images.get(id)).toMatchObject({ status: 'pending_delete', deleted: 1 });
    expect(killed.jobs.filter((j) => j.image_id === id)).toEqual([expect.objectContaining({ state: 'queued', claimed_at: null })]);
    expect(existsSync(file)).toBe(true);

    service = await startServiceProcess(env);
    api = `${service.url}/v2`;
    expect(await getStatus(api, MEMBER, id)).toBe(404);
    const finished = await poll(
      'the scrubber to finish the pending delete',
      () => {
        const snapshot = readCatalog(dbPath);
        return snapshot.images.get(id)?.status === 'deleted' ? snapshot : null;
      },
      { attempts: 600 },
    );
    const [job] = finished.jobs.filter((j) => j.image_id === id);
    expect(job).toMatchObject({ state: 'done' });
    // Not before the delay: the job was first claimed after it became due.
    expect(job!.claimed_at!).toBeGreaterThanOrEqual(finished.images.get(id)!.deleted_at! + 3_000);
    expect(existsSync(file)).toBe(false);
    await poll('the image.delete event', () => (readCatalog(dbPath).events.every((e) => e.delivered_at !== null) ? true : null));
    const events = readEventsFile(eventsFile);
    expect(events.torn).toBe(0);
    expect([...(events.byImage.get(id) ?? [])]).toEqual([finished.events.find((e) => e.image_id === id)!.id]);

    service.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    service = null;
  });
});
