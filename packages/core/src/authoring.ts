// @image-catalog/core/authoring: creating and changing images, for Glance-compatible fixture routes and test seeding.
export * from './image/new-image.js';
export * from './ports/image-catalog.port.js';
export * from './ports/unchecked-image-catalog.port.js';
export * from './image-input/checked-image-catalog.js';
export * from './image/image-listing.js';
export * from './image-input/invalid-image-input.js';
export * from './image-input/image-input-limits.js';
export * from './image-input/validate-image-input.js';
export * from './policy/owner-for-new-image.js';
export * from './quota/image-quotas.js';
