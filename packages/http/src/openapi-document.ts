// The OpenAPI 3.1 description of what the handler serves; a test checks real responses against it.
import { CONTENT_TYPES } from './fault-reply.js';
import { ALLOWED_METHODS, FAULT_NAMES, REASON_PHRASES, type FaultStatus } from './status-table.js';

type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/** A JSON object; loose on purpose, so it can be handed to any OpenAPI tool as it is. */
export type OpenApiDocument = { readonly openapi: string } & { readonly [key: string]: Json };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** The JSON fault schema name for a status, e.g. `ItemNotFoundFault`. */
function faultSchemaName(status: FaultStatus): string {
  const name = FAULT_NAMES[status];
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}Fault${status === 429 ? '429' : ''}`;
}

function jsonFaultSchema(status: FaultStatus): Json {
  const name = FAULT_NAMES[status];
  const limited = status === 413 || status === 429;
  return {
    type: 'object',
    required: [name],
    additionalProperties: false,
    properties: {
      [name]: {
        allOf: [
          ref('FaultDetail'),
          { properties: { code: { const: status } }, ...(limited ? { required: ['retryAfter', 'retryAt'] } : {}) },
        ],
      },
    },
  };
}

function faultResponse(status: FaultStatus, description: string, headers: Readonly<Record<string, Json>> = {}): Json {
  const limited = status === 413 || status === 429;
  return {
    description,
    headers: { 'x-openstack-request-id': headerRef('RequestId'), Vary: headerRef('Vary'), ...headers },
    content: {
      [CONTENT_TYPES.json]: { schema: ref(faultSchemaName(status)) },
      [CONTENT_TYPES.problem]: {
        schema: {
          allOf: [
            ref('Problem'),
            { properties: { status: { const: status } }, ...(limited ? { required: ['retryAfter', 'retryAt'] } : {}) },
          ],
        },
      },
      [CONTENT_TYPES.text]: { schema: { type: 'string', pattern: `^${status} ${REASON_PHRASES[status]}\n\n.+` } },
    },
  };
}

const FAULT_STATUSES: readonly FaultStatus[] = [400, 401, 403, 404, 405, 413, 429, 500, 503];

export const openApiDocument: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'image-catalog: Delete image',
    version: '2.0.0',
    description:
      'OpenStack Glance v2 "Delete image". Every response carries `x-openstack-request-id`; error bodies are ' +
      'negotiated from `Accept` (`application/json` by default, `application/problem+json`, `text/plain`).',
  },
  servers: [{ url: '/v2' }],
  security: [{ authToken: [] }, { bearer: [] }],
  paths: {
    '/images/{image_id}': {
      parameters: [{ $ref: '#/components/parameters/ImageId' }, { $ref: '#/components/parameters/RequestId' }],
      delete: {
        operationId: 'deleteImage',
        summary: 'Delete image',
        description:
          'Deletes the image. A protected image cannot be deleted until `protected` is false. ' +
          'The request takes no body. Other methods on this path answer 405 with `Allow`.',
        responses: {
          '204': { description: 'Deleted. No body, no Content-Type.', headers: { 'x-openstack-request-id': headerRef('RequestId') } },
          '400': faultResponse(400, 'Malformed image id, or a request body was sent.'),
          '401': faultResponse(401, 'Missing or unknown token.', { 'WWW-Authenticate': headerRef('WwwAuthenticate') }),
          '403': faultResponse(403, 'The delete policy denies the caller, or the image is protected.'),
          '404': faultResponse(404, 'No such image, already deleted, or not visible to the caller.'),
          '405': faultResponse(405, 'A method other than DELETE or OPTIONS.', { Allow: headerRef('Allow') }),
          '413': faultResponse(413, 'Over Limit: the project exceeded its rate limit.', { 'Retry-After': headerRef('RetryAfter') }),
          '429': faultResponse(429, 'Too Many Requests: the rate limit, when configured to answer 429 instead of 413.', {
            'Retry-After': headerRef('RetryAfter'),
          }),
          '500': faultResponse(500, 'Unexpected server error.'),
          '503': faultResponse(503, 'Storage, identity or rate-limit backend unavailable, or the server is shutting down.', {
            'Retry-After': headerRef('RetryAfter'),
          }),
        },
      },
      options: {
        operationId: 'imageOptions',
        summary: 'Allowed methods',
        security: [],
        responses: {
          '204': {
            description: 'The methods this path answers.',
            headers: { Allow: headerRef('Allow'), 'x-openstack-request-id': headerRef('RequestId') },
          },
        },
      },
    },
  },
  components: {
    securitySchemes: {
      authToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
      bearer: { type: 'http', scheme: 'bearer' },
    },
    parameters: {
      ImageId: {
        name: 'image_id',
        in: 'path',
        required: true,
        description: 'By default a UUID in canonical form.',
        schema: { type: 'string', maxLength: 255 },
      },
      RequestId: {
        name: 'x-openstack-request-id',
        in: 'header',
        required: false,
        description: 'Kept when it is `req-` followed by a UUID; any other value is replaced.',
        schema: ref('RequestId'),
      },
    },
    headers: {
      RequestId: { required: true, schema: ref('RequestId') },
      RetryAfter: { required: true, description: 'Delta-seconds.', schema: { type: 'integer', minimum: 0 } },
      Allow: {
        required: true,
        description: `${ALLOWED_METHODS}, plus the methods a host serves itself on this path (the handler's \`hostMethods\`).`,
        schema: { type: 'string', pattern: '^(?=(?:.*, )?DELETE(?:,|$))(?=(?:.*, )?OPTIONS(?:,|$))[A-Z]+(?:, [A-Z]+)*$' },
      },
      WwwAuthenticate: { required: true, schema: { type: 'string', minLength: 1 } },
      Vary: { schema: { type: 'string', const: 'Accept' } },
    },
    schemas: {
      RequestId: { type: 'string', pattern: '^req-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' },
      FaultDetail: {
        type: 'object',
        required: ['code', 'message', 'requestId'],
        additionalProperties: false,
        properties: {
          code: { type: 'integer' },
          message: { type: 'string' },
          requestId: ref('RequestId'),
          retryAfter: { type: 'integer', minimum: 0, description: 'Seconds, as in Retry-After.' },
          retryAt: { type: 'string', format: 'date-time' },
        },
      },
      Problem: {
        type: 'object',
        description: 'RFC 9457 problem details, with the OpenStack fault name and the request id as extensions.',
        required: ['type', 'title', 'status', 'detail', 'fault', 'requestId'],
        additionalProperties: false,
        properties: {
          type: { type: 'string', format: 'uri-reference' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          instance: { type: 'string', format: 'uri-reference' },
          fault: { type: 'string', enum: [...new Set(Object.values(FAULT_NAMES))] },
          requestId: ref('RequestId'),
          retryAfter: { type: 'integer', minimum: 0 },
          retryAt: { type: 'string', format: 'date-time' },
        },
      },
      ...Object.fromEntries(FAULT_STATUSES.map((status) => [faultSchemaName(status), jsonFaultSchema(status)])),
    },
  },
};
