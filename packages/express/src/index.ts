// @image-catalog/express
export {};
