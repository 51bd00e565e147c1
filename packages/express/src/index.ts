// @image-catalog/express: createImagesRouter() returns a Router serving DELETE /images/:image_id.
export * from './images-router.js';
