// @image-catalog/core/workers: the background work after a delete (data deletion, scrubber, outbox relay) and its backlog.
export * from './data-deletion/backoff.js';
export * from './data-deletion/data-deletion-worker.js';
export * from './lifecycle/periodic-runner.js';
export * from './lifecycle/background-loop.js';
export * from './lifecycle/with-timeout.js';
export * from './scrubber/scrubber.js';
export * from './events/notification-envelope.js';
export * from './events/callback-event-publisher.js';
export * from './events/outbox-relay.js';
export * from './observability/backlog-snapshot.js';
