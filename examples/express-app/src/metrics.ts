// The service's Prometheus metrics: the images handler's hook bound to prom-client, the backlog gauges read on scrape, and the /metrics handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { silentLogger, type Clock, type DataDeletionJobQueue, type EventOutbox, type Logger, type StorageError } from '@image-catalog/core';
import { backlogSnapshot, DEFAULT_PENDING_EVENTS_LIMIT, withTimeout, type BacklogSnapshot, type Timed } from '@image-catalog/core/workers';
import type { ImagesMetrics } from '@image-catalog/http';
import type { Result } from 'neverthrow';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type GaugeConfiguration } from 'prom-client';

export interface ServiceMetricsOptions {
  readonly jobs: DataDeletionJobQueue;
  readonly outbox: EventOutbox;
  readonly clock: Clock;
  /** Where a failed backlog read is logged, under `err` (default: silent). */
  readonly logger?: Logger;
  /** Undelivered events read per scrape to count them; the gauge stops there (default 1000). */
  readonly pendingEventsLimit?: number;
  /** A backlog read slower than this counts as failed, so a hung store cannot hang the scrape (default 5000). */
  readonly backlogTimeoutMs?: number;
}

export interface ServiceMetrics {
  /** Every metric below, plus prom-client's default process and Node.js metrics. */
  readonly registry: Registry;
  /** For the images handler's `metrics` option (`createImagesRouter({ ..., metrics: httpHook })`). */
  readonly httpHook: ImagesMetrics;
  /** Serves the registry in Prometheus text format; mount it at `GET /metrics` (works under Express and node:http). */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
}

const DEFAULT_BACKLOG_TIMEOUT_MS = 5000;

/** The log line of a failed backlog read: the storage error's own cause under `err`, so pino keeps its stack. */
function failureLog(timed: Timed<Result<BacklogSnapshot, StorageError>>, timeoutMs: number): object {
  if (timed.kind === 'timedOut') return { err: new Error(`backlog read timed out after ${timeoutMs} ms`) };
  if (timed.kind === 'threw') return { err: timed.cause };
  return timed.value.match(
    () => ({}),
    (error) => ({ failure: error.kind, err: error.cause ?? new Error(error.message) }),
  );
}

type Labels<L extends string> = Partial<Record<L, string>>;

/**
 * A gauge set from the backlog when scraped. After a failed read it has no sample at all in
 * that scrape: a plain gauge would show its last values, or 0 without labels, which reads as
 * "no lag" in the middle of an outage.
 */
class BacklogGauge<L extends string = never> extends Gauge<L> {
  readonly #read: () => Promise<BacklogSnapshot | null>;
  readonly #samples: (backlog: BacklogSnapshot) => readonly (readonly [Labels<L>, number])[];

  constructor(
    configuration: GaugeConfiguration<L>,
    read: () => Promise<BacklogSnapshot | null>,
    samples: (backlog: BacklogSnapshot) => readonly (readonly [Labels<L>, number])[],
  ) {
    super(configuration);
    this.#read = read;
    this.#samples = samples;
  }

  override async get(): ReturnType<Gauge<L>['get']> {
    const backlog = await this.#read();
    this.reset();
    if (backlog !== null) for (const [labels, value] of this.#samples(backlog)) this.set(labels, value);
    const metric = await super.get();
    return backlog === null ? { ...metric, values: [] } : metric;
  }
}

/**
 * One registry per call, so several services in one process (tests) do not share counters.
 * The backlog gauges are read from storage when scraped, once per scrape whichever gauge asks
 * first. When that read fails or times out, the gauges have no sample in that scrape (rather
 * than stale values), `image_catalog_backlog_scrape_errors_total` goes up by one, and every
 * other metric is served as usual.
 */
export function createServiceMetrics(options: ServiceMetricsOptions): ServiceMetrics {
  const { jobs, outbox, clock } = options;
  const logger = options.logger ?? silentLogger;
  const pendingEventsLimit = options.pendingEventsLimit ?? DEFAULT_PENDING_EVENTS_LIMIT;
  const backlogTimeoutMs = options.backlogTimeoutMs ?? DEFAULT_BACKLOG_TIMEOUT_MS;
  if (!Number.isSafeInteger(pendingEventsLimit) || pendingEventsLimit < 1)
    throw new RangeError(`pendingEventsLimit must be a whole number >= 1, got ${pendingEventsLimit}`);
  if (!Number.isFinite(backlogTimeoutMs) || backlogTimeoutMs <= 0)
    throw new RangeError(`backlogTimeoutMs must be a number > 0, got ${backlogTimeoutMs}`);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'image_catalog_http_requests_total',
    help: 'Requests answered by the images handler (DELETE /v2/images/{image_id} and its OPTIONS, 405, ...), by method, status and outcome.',
    labelNames: ['method', 'status', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'image_catalog_http_request_duration_seconds',
    help: 'Time the images handler took to answer a request, by method and outcome.',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  });
  const httpHook: ImagesMetrics = {
    requestServed({ method, status, outcome, durationSeconds }) {
      requests.inc({ method, status: String(status), outcome });
      duration.observe({ method, outcome }, durationSeconds);
    },
  };

  // One storage read per scrape: the gauges and the error counter are collected together and share it.
  let reading: Promise<BacklogSnapshot | null> | null = null;
  const scrapeErrors = new Counter({
    name: 'image_catalog_backlog_scrape_errors_total',
    help: 'Scrapes whose read of the job queue or the outbox failed or timed out; the backlog gauges were left out of them.',
    registers: [registry],
    // Waits for this scrape's read, so a failure is counted in the scrape it affected.
    collect: async () => void (await readBacklog()),
  });
  const readBacklog = (): Promise<BacklogSnapshot | null> =>
    (reading ??= (async () => {
      try {
        const timed = await withTimeout(() => backlogSnapshot({ jobs, outbox }, clock.now(), { pendingEventsLimit }), backlogTimeoutMs);
        if (timed.kind === 'answered' && timed.value.isOk()) return timed.value.value;
        scrapeErrors.inc();
        logger.warn(failureLog(timed, backlogTimeoutMs), 'metrics: backlog read failed; its gauges are left out of this scrape');
        return null;
      } finally {
        reading = null;
      }
    })());

  new BacklogGauge(
    {
      name: 'image_catalog_data_deletion_jobs',
      help: 'Data-deletion jobs by state: queued (waiting for the inline deletion or the scrubber) and dead (out of attempts: image data left behind).',
      labelNames: ['state'] as const,
      registers: [registry],
    },
    readBacklog,
    (backlog) => [
      [{ state: 'queued' }, backlog.queuedJobs],
      [{ state: 'dead' }, backlog.deadJobs],
    ],
  );
  new BacklogGauge(
    {
      name: 'image_catalog_outbox_pending_events',
      help: `Undelivered outbox events, counted up to ${pendingEventsLimit} (at least that many when it shows ${pendingEventsLimit}).`,
      registers: [registry],
    },
    readBacklog,
    (backlog) => [[{}, backlog.pendingEvents]],
  );
  new BacklogGauge(
    {
      name: 'image_catalog_outbox_lag_seconds',
      help: 'Seconds since the oldest undelivered outbox event occurred; 0 when none is pending.',
      registers: [registry],
    },
    readBacklog,
    (backlog) => [[{}, backlog.oldestPendingEventAgeSeconds]],
  );

  const handler = (_req: IncomingMessage, res: ServerResponse): void => {
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(text);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'metrics: could not render the registry');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('metrics unavailable\n');
      },
    );
  };

  return { registry, httpHook, handler };
}
