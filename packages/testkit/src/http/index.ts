// HTTP conformance: the suite, and the principals, images and servers an in-process deployment can use for it.
export * from './conformance-principals.js';
export * from './fault-assertions.js';
export * from './hostile-inputs.js';
export * from './http-conformance.js';
export * from './in-process-conformance-target.js';
export * from './limit-only-key.js';
export * from './loopback-server.js';
export * from './loopback-servers-per-test.js';
export * from './raw-http-request.js';
