// @image-catalog/sql-kit: what the SQL storage adapters share — row shapes, their mapping to the core model, ordering.
export * from './column-values.js';
export * from './image-row.js';
export * from './job-and-event-rows.js';
