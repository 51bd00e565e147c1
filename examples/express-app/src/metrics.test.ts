// GET /metrics over real sockets: the example service's counters, histogram and gauges after real requests, and scrapes whose storage read fails.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteImage, defaultDeletePolicy, storageFault, storageUnavailable, type Logger } from '@image-catalog/core';
import { createMemoryStorage } from '@image-catalog/memory';
import { adminPrincipal, TestClock } from '@image-catalog/testkit';
import { ResultAsync } from 'neverthrow';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServiceMetrics, type ServiceMetrics, type ServiceMetricsOptions } from './metrics.js';
import { createImageOverHttp, deleteImage, startInProcessService, type InProcessService } from './test-support/in-process-service.js';
import { parseExposition, type Exposition } from './test-support/prometheus-text.js';

const MEMBER = 'demo-member-token';
const PROMETHEUS_TEXT = /^text\/plain; version=0\.0\.4(;|$)/;

async function scrape(url: string): Promise<{ res: Response; exposition: Exposition }> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(PROMETHEUS_TEXT);
  return { res, exposition: parseExposition(await res.text()) };
}

describe('GET /metrics on the example service', () => {
  let svc: InProcessService;
  beforeAll(async () => {
    svc = await startInProcessService({ eventsFile: true }); // a publisher, so the relay runs and the outbox drains
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('after a 204, a 404 and a 401: the counters with those labels, the histogram, the gauges, valid Prometheus text', async () => {
    const image = await createImageOverHttp(svc.api, MEMBER);
    expect((await deleteImage(svc.api, MEMBER, image.id)).status).toBe(204);
    const again = await deleteImage(svc.api, MEMBER, image.id);
    expect(again.status).toBe(404);
    await again.body?.cancel();
    const anonymous = await fetch(`${svc.api}/images/${image.id}`, { method: 'DELETE' });
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();

    const { exposition: m } = await scrape(svc.url);
    expect(m.types.get('image_catalog_http_requests_total')).toBe('counter');
    expect(m.value('image_catalog_http_requests_total', { method: 'DELETE', status: '204', outcome: 'deleted' })).toBe(1);
    expect(m.value('image_catalog_http_requests_total', { method: 'DELETE', status: '404', outcome: 'ImageNotFound' })).toBe(1);
    expect(m.value('image_catalog_http_requests_total', { method: 'DELETE', status: '401', outcome: 'Unauthorized' })).toBe(1);
    // Only requests the images handler answered: the POST that created the image is not one.
    expect(m.find('image_catalog_http_requests_total').reduce((total, s) => total + s.value, 0)).toBe(3);

    expect(m.types.get('image_catalog_http_request_duration_seconds')).toBe('histogram');
    for (const outcome of ['deleted', 'ImageNotFound', 'Unauthorized']) {
      expect(m.value('image_catalog_http_request_duration_seconds_count', { method: 'DELETE', outcome })).toBe(1);
      expect(m.value('image_catalog_http_request_duration_seconds_bucket', { method: 'DELETE', outcome, le: '+Inf' })).toBe(1);
      const sum = m.value('image_catalog_http_request_duration_seconds_sum', { method: 'DELETE', outcome });
      expect(sum).toBeGreaterThan(0);
      expect(sum).toBeLessThan(10);
    }

    for (const gauge of ['image_catalog_data_deletion_jobs', 'image_catalog_outbox_pending_events', 'image_catalog_outbox_lag_seconds'])
      expect(m.types.get(gauge)).toBe('gauge');
    // The delete removed its data inline: nothing queued, nothing dead.
    expect(m.value('image_catalog_data_deletion_jobs', { state: 'queued' })).toBe(0);
    expect(m.value('image_catalog_data_deletion_jobs', { state: 'dead' })).toBe(0);
    expect(m.value('image_catalog_outbox_pending_events')).toBeGreaterThanOrEqual(0);
    expect(m.value('image_catalog_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.value('image_catalog_backlog_scrape_errors_total')).toBe(0);

    // prom-client's default process and Node.js metrics.
    expect(m.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(m.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(m.types.get('nodejs_heap_size_total_bytes')).toBe('gauge');
  });

  it('shows the outbox drained once the relay has delivered the event', async () => {
    const image = await createImageOverHttp(svc.api, MEMBER);
    expect((await deleteImage(svc.api, MEMBER, image.id)).status).toBe(204);
    await expect
      .poll(
        async () => {
          const { exposition } = await scrape(svc.url);
          return [exposition.value('image_catalog_outbox_pending_events'), exposition.value('image_catalog_outbox_lag_seconds')];
        },
        { timeout: 15_000, interval: 200 },
      )
      .toEqual([0, 0]);
  });

  it('answers OPTIONS and refuses other methods like the other documents, and logs the scrape', async () => {
    const options = await fetch(`${svc.url}/metrics`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const post = await fetch(`${svc.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    await post.body?.cancel();
    expect(
      svc.logs.some(
        (entry) =>
          (entry.obj as { route?: string; status?: number }).route === '/metrics' && (entry.obj as { status?: number }).status === 200,
      ),
    ).toBe(true);
  });
});

/** Records log calls. */
function recordingLogger(): Logger & { readonly warnings: { obj: Record<string, unknown>; msg: string | undefined }[] } {
  const warnings: { obj: Record<string, unknown>; msg: string | undefined }[] = [];
  const none = () => undefined;
  return {
    warnings,
    debug: none,
    info: none,
    error: none,
    warn: (obj, msg) => void warnings.push({ obj: obj as Record<string, unknown>, msg }),
  };
}

describe('createServiceMetrics: backlog gauges read on scrape', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
    vi.restoreAllMocks();
  });

  /** A memory store with two deleted images whose data jobs are left queued, their events undelivered, 30 s ago. */
  async function backlog() {
    const clock = new TestClock();
    const storage = createMemoryStorage();
    const deleteImages = new DeleteImage(storage.images, defaultDeletePolicy, clock, null);
    for (let i = 0; i < 2; i++) {
      const id = globalThis.crypto.randomUUID();
      (
        await storage.catalog.createImage({ id, owner: 'p1', status: 'active', locations: [{ url: `memory://${id}` }] }, clock.now())
      )._unsafeUnwrap();
      (await deleteImages.execute({ imageId: id, principal: adminPrincipal() }))._unsafeUnwrap();
    }
    clock.advanceSeconds(30);
    return { clock, storage };
  }

  async function serve(options: ServiceMetricsOptions): Promise<{ url: string; metrics: ServiceMetrics }> {
    const metrics = createServiceMetrics(options);
    const server = createServer(metrics.handler);
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, metrics };
  }

  it('reports the backlog exactly, with one read of each port per scrape', async () => {
    const { clock, storage } = await backlog();
    const counts = vi.spyOn(storage.jobs, 'counts');
    const listEvents = vi.spyOn(storage.outbox, 'listEvents');
    const { url } = await serve({ jobs: storage.jobs, outbox: storage.outbox, clock });
    const { exposition: m } = await scrape(url);
    expect(m.value('image_catalog_data_deletion_jobs', { state: 'queued' })).toBe(2);
    expect(m.value('image_catalog_data_deletion_jobs', { state: 'dead' })).toBe(0);
    expect(m.value('image_catalog_outbox_pending_events')).toBe(2);
    expect(m.value('image_catalog_outbox_lag_seconds')).toBe(30);
    expect(counts).toHaveBeenCalledTimes(1);
    expect(listEvents).toHaveBeenCalledTimes(1);
    expect(listEvents).toHaveBeenCalledWith({ delivered: false, limit: 1000 });
  });

  it('caps the pending count at pendingEventsLimit', async () => {
    const { clock, storage } = await backlog();
    const { url } = await serve({ jobs: storage.jobs, outbox: storage.outbox, clock, pendingEventsLimit: 1 });
    const { exposition: m } = await scrape(url);
    expect(m.value('image_catalog_outbox_pending_events')).toBe(1);
    expect(m.value('image_catalog_outbox_lag_seconds')).toBe(30);
    expect(m.help.get('image_catalog_outbox_pending_events')).toContain('counted up to 1 ');
  });

  it.each([
    ['the job counts are unavailable', 'counts', storageUnavailable(new Error('SQLITE_BUSY: database is locked'))],
    ['the outbox read faults', 'listEvents', storageFault(new Error('SQLITE_CORRUPT: database disk image is malformed'))],
  ] as const)(
    'when %s: 200, the other metrics, no backlog sample, one scrape error; the next scrape recovers',
    async (_name, method, error) => {
      const { clock, storage } = await backlog();
      const logger = recordingLogger();
      const { url, metrics } = await serve({ jobs: storage.jobs, outbox: storage.outbox, clock, logger });
      metrics.httpHook.requestServed({ method: 'DELETE', status: 204, outcome: 'deleted', durationSeconds: 0.012 });
      storage.faults.inject({ method, error });

      const { exposition: failed } = await scrape(url);
      expect(failed.value('image_catalog_backlog_scrape_errors_total')).toBe(1);
      for (const gauge of ['image_catalog_data_deletion_jobs', 'image_catalog_outbox_pending_events', 'image_catalog_outbox_lag_seconds']) {
        expect(failed.types.get(gauge)).toBe('gauge');
        expect(failed.find(gauge)).toEqual([]);
      }
      expect(failed.value('image_catalog_http_requests_total', { method: 'DELETE', status: '204', outcome: 'deleted' })).toBe(1);
      expect(failed.value('image_catalog_http_request_duration_seconds_sum', { method: 'DELETE', outcome: 'deleted' })).toBeCloseTo(0.012);
      expect(failed.find('process_cpu_user_seconds_total')).toHaveLength(1);
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]!.obj).toMatchObject({ failure: error.kind, err: error.cause });

      const { exposition: recovered } = await scrape(url);
      expect(recovered.value('image_catalog_backlog_scrape_errors_total')).toBe(1);
      expect(recovered.value('image_catalog_data_deletion_jobs', { state: 'queued' })).toBe(2);
      expect(recovered.value('image_catalog_outbox_lag_seconds')).toBe(30);
    },
  );

  it('counts a read that never answers as a failed scrape after backlogTimeoutMs, instead of hanging', async () => {
    const { clock, storage } = await backlog();
    vi.spyOn(storage.jobs, 'counts').mockReturnValue(new ResultAsync(new Promise(() => undefined)));
    const logger = recordingLogger();
    const { url } = await serve({ jobs: storage.jobs, outbox: storage.outbox, clock, logger, backlogTimeoutMs: 100 });
    const started = performance.now();
    const { exposition: m } = await scrape(url);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(m.value('image_catalog_backlog_scrape_errors_total')).toBe(1);
    expect(m.find('image_catalog_outbox_pending_events')).toEqual([]);
    expect((logger.warnings[0]!.obj.err as Error).message).toBe('backlog read timed out after 100 ms');
  });

  it.each([
    [{ pendingEventsLimit: 0 }, /pendingEventsLimit/],
    [{ backlogTimeoutMs: -1 }, /backlogTimeoutMs/],
  ])('refuses %o', async (bad, message) => {
    const { clock, storage } = await backlog();
    expect(() => createServiceMetrics({ jobs: storage.jobs, outbox: storage.outbox, clock, ...bad })).toThrow(message);
  });
});
