// @image-catalog/http
export {};
