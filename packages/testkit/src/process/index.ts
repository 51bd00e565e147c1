// @image-catalog/testkit/process: the multi-process race (spawn workers, run DeleteImage in each, add up), free of vitest so workers can load it.
export * from './race-protocol.js';
export * from './seeded-order.js';
export * from './run-race-worker.js';
export * from './spawn-race-workers.js';
export * from './race-figures.js';
