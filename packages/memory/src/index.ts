// @image-catalog/memory: in-memory adapters for every storage port, with fault injection for tests.
export type { InjectedFault } from './fault-registry.js';
export * from './memory-store-faults.js';
export * from './memory-storage.js';
export * from './memory-data-store-faults.js';
export * from './memory-image-data-store.js';
export * from './memory-image-catalog.module.js';
export * from './memory-event-publisher.js';
