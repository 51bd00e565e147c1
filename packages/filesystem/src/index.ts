// @image-catalog/filesystem: a file data store confined to its root, and a JSON-lines event publisher.
export * from './file-image-data-store.js';
export * from './json-lines-event-publisher.js';
export { toDataStoreError } from './fs-errors.js';
