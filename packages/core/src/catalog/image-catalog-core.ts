// The DI-free wiring of core: the use cases and the background work over a storage adapter's ports, in one call.
import { DataDeletionWorker, type DataDeletionWorkerOptions } from '../data-deletion/data-deletion-worker.js';
import { DeleteImage, type DeleteCommitted, type DeleteImageOptions } from '../delete-image/delete-image.use-case.js';
import { OutboxRelay, type OutboxRelayOptions } from '../events/outbox-relay.js';
import { defaultDeletePolicy } from '../policy/default-delete-policy.js';
import { systemClock, type Clock } from '../ports/clock.port.js';
import type { DataDeletionJobQueue } from '../ports/data-deletion-job-queue.port.js';
import type { DeletePolicy } from '../ports/delete-policy.port.js';
import type { EventOutbox } from '../ports/event-outbox.port.js';
import type { EventPublisher } from '../ports/event-publisher.port.js';
import type { ImageDataStore } from '../ports/image-data-store.port.js';
import type { ImageRepository } from '../ports/image-repository.port.js';
import { silentLogger, type Logger } from '../ports/logger.port.js';
import { RestoreImage, type RestoreImageOptions } from '../restore-image/restore-image.use-case.js';
import { Scrubber, type ScrubberOptions } from '../scrubber/scrubber.js';

/**
 * Work a storage adapter does in the background of its own database, started and stopped with the
 * catalog's loops (SQLite: the WAL checkpointer, which keeps checkpoints off the request path).
 */
export interface StorageBackgroundWork {
  /** Starts it; failures are logged through `logger`, never thrown. A second call does nothing. */
  start(options: { readonly logger: Logger }): void;
  /** Stops it, waiting for the work in flight; never rejects. */
  stop(): Promise<void>;
}

/** The storage ports core needs; every storage adapter's factory returns at least these. */
export interface ImageCatalogStorage {
  readonly images: ImageRepository;
  readonly jobs: DataDeletionJobQueue;
  readonly outbox: EventOutbox;
  /** The adapter's own background work, if it has any: `start()` starts it, `stop()` stops it last. */
  readonly background?: StorageBackgroundWork;
}

/** A background loop's settings: its own options plus how often it runs. */
export type LoopSettings<O> = O & {
  /**
   * Longest pause between runs in milliseconds (scrubber default 30 000, relay default 1 000).
   * Both loops run sooner when there is work: the relay right after a delete commits, the
   * scrubber when the earliest data-deletion job becomes due.
   */
  readonly intervalMs?: number;
  /** Shortest pause before a run that work asked for, so bursts share one run (default 100). */
  readonly minPauseMs?: number;
};

export interface ImageCatalogCoreOptions {
  readonly storage: ImageCatalogStorage;
  /** Where image data lives; data-deletion jobs delete through it. */
  readonly dataStore: ImageDataStore;
  /**
   * Where committed `image.delete` events go (a bus, a webhook, a file). `null` (the default)
   * runs no relay: events stay in the outbox, and the catalog logs a warning at `start()`.
   */
  readonly publisher?: EventPublisher | null;
  /** The delete policy (default: Glance's, admin or member of the owning project). */
  readonly policy?: DeletePolicy;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly deleteImage?: DeleteImageOptions;
  readonly restoreImage?: RestoreImageOptions;
  readonly dataDeletion?: DataDeletionWorkerOptions;
  readonly scrubber?: LoopSettings<ScrubberOptions>;
  readonly relay?: LoopSettings<OutboxRelayOptions>;
}

/** What `createImageCatalogCore` gives: the use cases, the workers, and one switch for the background work. */
export interface ImageCatalogCore {
  readonly deleteImage: DeleteImage;
  readonly restoreImage: RestoreImage;
  readonly dataDeletion: DataDeletionWorker;
  readonly scrubber: Scrubber;
  /** `null` without a publisher. */
  readonly relay: OutboxRelay | null;
  /**
   * Starts the scrubber and the relay loops: each runs at once, then when there is work (a delete
   * wakes the relay, and the scrubber for the time its jobs become due), at the latest every
   * `intervalMs`. Also starts the storage's own background work (`storage.background`). Idempotent.
   */
  start(): void;
  /**
   * Stops both loops, waiting for the runs in flight, then delivers what is pending one last time
   * (bounded by the relay's publish timeout), so a clean shutdown leaves no committed event behind;
   * then stops the storage's background work.
   */
  stop(): Promise<void>;
}

const DEFAULT_SCRUB_INTERVAL_MS = 30_000;
const DEFAULT_RELAY_INTERVAL_MS = 1_000;
const DEFAULT_MIN_PAUSE_MS = 100;

/** Builds the use cases and workers over `storage`. Nothing runs until `start()`. */
export function createImageCatalogCore(options: ImageCatalogCoreOptions): ImageCatalogCore {
  const { storage, dataStore } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const policy = options.policy ?? defaultDeletePolicy;
  const {
    intervalMs: scrubEvery = DEFAULT_SCRUB_INTERVAL_MS,
    minPauseMs: scrubPause = DEFAULT_MIN_PAUSE_MS,
    ...scrubberOptions
  } = options.scrubber ?? {};
  const {
    intervalMs: relayEvery = DEFAULT_RELAY_INTERVAL_MS,
    minPauseMs: relayPause = DEFAULT_MIN_PAUSE_MS,
    ...relayOptions
  } = options.relay ?? {};

  const dataDeletion = new DataDeletionWorker(dataStore, storage.jobs, clock, logger, options.dataDeletion ?? {});
  const scrubber = new Scrubber(storage.jobs, dataDeletion, clock, logger, scrubberOptions);
  const publisher = options.publisher ?? null;
  const relay = publisher === null ? null : new OutboxRelay(storage.outbox, publisher, clock, logger, relayOptions);
  const hostHook = options.deleteImage?.onCommitted ?? null;
  // A committed delete wakes the loops (no-ops until start()): its event leaves now, its jobs run when due.
  const onCommitted = (committed: DeleteCommitted): void => {
    relay?.wake();
    if (committed.jobsDueAt !== null) scrubber.wake(committed.jobsDueAt);
    hostHook?.(committed);
  };
  const deleteImage = new DeleteImage(storage.images, policy, clock, dataDeletion, logger, { ...options.deleteImage, onCommitted });
  const restoreImage = new RestoreImage(storage.images, clock, logger, {
    idFormat: options.deleteImage?.idFormat,
    ...options.restoreImage,
  });

  return {
    deleteImage,
    restoreImage,
    dataDeletion,
    scrubber,
    relay,
    start() {
      scrubber.start({ intervalMs: scrubEvery, minPauseMs: scrubPause });
      if (relay !== null) relay.start({ intervalMs: relayEvery, minPauseMs: relayPause });
      else logger.warn({}, 'image catalog: no event publisher; image.delete events stay in the outbox');
      storage.background?.start({ logger });
    },
    async stop() {
      await Promise.all([scrubber.stop(), relay?.stop()]);
      if (relay !== null) {
        const flushed = await relay.runOnce();
        if (flushed.isErr())
          logger.warn(
            { err: flushed.error.cause, error: flushed.error.message },
            'image catalog: last event delivery before stop failed; events stay in the outbox',
          );
      }
      // Last: the final delivery above still wrote through the storage.
      await storage.background?.stop();
    },
  };
}
