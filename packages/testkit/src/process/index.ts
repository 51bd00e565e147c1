// @image-catalog/testkit/process: the multi-process race (spawn workers, run DeleteImage in each, add up), free of vitest so workers can load it; and runProcess for command-line tests.
export * from './race-protocol.js';
export * from './seeded-order.js';
export * from './run-race-worker.js';
export * from './spawn-race-workers.js';
export * from './race-figures.js';
export * from './run-process.js';
