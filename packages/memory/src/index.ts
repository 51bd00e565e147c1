// @image-catalog/memory
export {};
