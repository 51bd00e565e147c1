// @image-catalog/testkit: contract suites every adapter runs, and the fixtures they are built from.
export * from './storage-harness.js';
export * from './use-harness.js';
export * from './expect-result.js';
export * from './harness-helpers.js';
export * from './fixtures/test-clock.js';
export * from './fixtures/principals.js';
export * from './fixtures/image-fixture.js';
export * from './fixtures/delete-image-request.js';
export * from './fixtures/recording-image-data-store.js';
export * from './fixtures/failing-image-repository.js';
export * from './image-repository.contract.js';
export * from './data-deletion-job-queue.contract.js';
export * from './event-outbox.contract.js';
export * from './image-data-store.contract.js';
export * from './delete-image.behaviour.js';
export * from './http/index.js';
