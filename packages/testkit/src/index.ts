// @image-catalog/testkit
export {};
