// @image-catalog/http: the framework-agnostic HTTP mapping of DELETE /images/{image_id}.
export * from './authenticator.port.js';
export * from './content-negotiation.js';
export * from './credentials.js';
export * from './fault.js';
export * from './fault-reply.js';
export * from './http-failures.js';
export * from './identity-answer.js';
export * from './identity.port.js';
export * from './images-handler.js';
export * from './images-metrics.port.js';
export * from './images-request.js';
export * from './images-route.js';
export * from './in-process-rate-limiter.js';
export * from './openapi-document.js';
export * from './parse-rate-limit.js';
export * from './rate-limiter.port.js';
export * from './repeated-cause-log.js';
export * from './request-body.js';
export * from './request-id.js';
export * from './static-token-authenticator.js';
export * from './status-table.js';
export * from './token-identity.js';
// node:http bridges: type-only imports of node:http, so Fetch runtimes can load the package too.
export * from './node/client-error-listener.js';
export * from './node/node-listener.js';
export * from './node/node-reply.js';
export * from './node/node-request.js';
