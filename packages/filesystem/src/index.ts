// @image-catalog/filesystem
export {};
