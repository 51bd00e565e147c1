// @image-catalog/sqlite
export {};
