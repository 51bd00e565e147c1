// Dependency-injection tokens: one per port and per use case, shared by every adapter package.
import type { ServiceIdentifier } from 'inversify';
import type { DataDeletionWorker, DataDeletionWorkerOptions } from './data-deletion/data-deletion-worker.js';
import type { DeleteImage, DeleteImageOptions } from './delete-image/delete-image.use-case.js';
import type { ImageCatalogCore, StorageBackgroundWork } from './catalog/image-catalog-core.js';
import type { Clock } from './ports/clock.port.js';
import type { DataDeletionJobQueue } from './ports/data-deletion-job-queue.port.js';
import type { DeletePolicy } from './ports/delete-policy.port.js';
import type { EventOutbox } from './ports/event-outbox.port.js';
import type { ImageDataStore } from './ports/image-data-store.port.js';
import type { ImageCatalog } from './ports/image-catalog.port.js';
import type { ImageRepository } from './ports/image-repository.port.js';
import type { Logger } from './ports/logger.port.js';
import type { EventPublisher } from './ports/event-publisher.port.js';
import type { OutboxRelay, OutboxRelayOptions } from './events/outbox-relay.js';
import type { RestoreImage, RestoreImageOptions } from './restore-image/restore-image.use-case.js';
import type { Scrubber, ScrubberOptions } from './scrubber/scrubber.js';

/** A service identifier that remembers the type bound to it, so `resolve()` is typed. */
export type Token<T> = ServiceIdentifier<T> & symbol & { readonly __type?: T };

function token<T>(name: string): Token<T> {
  return Symbol.for(`@image-catalog/${name}`) as Token<T>;
}

export const TOKENS = {
  ImageRepository: token<ImageRepository>('ImageRepository'),
  ImageCatalog: token<ImageCatalog>('ImageCatalog'),
  DataDeletionJobQueue: token<DataDeletionJobQueue>('DataDeletionJobQueue'),
  EventOutbox: token<EventOutbox>('EventOutbox'),
  /** Optional: a storage adapter's own background work (SQLite: the WAL checkpointer), started and stopped with the core. */
  StorageBackgroundWork: token<StorageBackgroundWork>('StorageBackgroundWork'),
  ImageDataStore: token<ImageDataStore>('ImageDataStore'),
  DeletePolicy: token<DeletePolicy>('DeletePolicy'),
  Clock: token<Clock>('Clock'),
  Logger: token<Logger>('Logger'),
  DeleteImageOptions: token<DeleteImageOptions>('DeleteImageOptions'),
  DataDeletionWorkerOptions: token<DataDeletionWorkerOptions>('DataDeletionWorkerOptions'),
  DataDeletionWorker: token<DataDeletionWorker>('DataDeletionWorker'),
  DeleteImage: token<DeleteImage>('DeleteImage'),
  EventPublisher: token<EventPublisher>('EventPublisher'),
  ScrubberOptions: token<ScrubberOptions>('ScrubberOptions'),
  Scrubber: token<Scrubber>('Scrubber'),
  OutboxRelayOptions: token<OutboxRelayOptions>('OutboxRelayOptions'),
  OutboxRelay: token<OutboxRelay>('OutboxRelay'),
  RestoreImageOptions: token<RestoreImageOptions>('RestoreImageOptions'),
  RestoreImage: token<RestoreImage>('RestoreImage'),
  ImageCatalogCore: token<ImageCatalogCore>('ImageCatalogCore'),
} as const;
