// @image-catalog/core/authoring: creating and changing images, for Glance-compatible fixture routes and test seeding.
export * from './image/new-image.js';
export * from './ports/image-catalog.port.js';
