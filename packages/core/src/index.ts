// @image-catalog/core: the domain model, the DeleteImage and RestoreImage use cases, their ports and failures.
// Background workers are in `@image-catalog/core/workers`; authoring (creating images) in `@image-catalog/core/authoring`.
export * from './image/image.js';
export * from './image/image-id.js';
export * from './image/notification.js';
export * from './image/principal.js';
export * from './image/visibility.js';
export * from './ports/clock.port.js';
export * from './ports/data-deletion-job-queue.port.js';
export * from './ports/delete-policy.port.js';
export * from './ports/event-outbox.port.js';
export * from './ports/event-publisher.port.js';
export * from './ports/image-data-store.port.js';
export * from './ports/image-repository.port.js';
export * from './ports/logger.port.js';
export * from './ports/storage-error.js';
export * from './policy/default-delete-policy.js';
export * from './delete-image/deletion-plan.js';
export * from './delete-image/delete-decision.js';
export * from './delete-image/delete-image.failures.js';
export * from './delete-image/delete-image.use-case.js';
export * from './restore-image/restore-image.failures.js';
export * from './restore-image/restore-image.use-case.js';
export * from './catalog/image-catalog-core.js';
export * from './tokens.js';
export * from './module.js';
