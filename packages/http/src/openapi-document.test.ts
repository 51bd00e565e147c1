// Checks real handler responses, every documented status in every format, against the OpenAPI document with Ajv.
import {
  deleteForbidden,
  imageNotFound,
  imageProtected,
  storageFault,
  storageUnavailable,
  type DeleteImageFailure,
  type ImageDeleted,
} from '@image-catalog/core';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { createImagesHandler, type ImagesHandlerOptions } from './images-handler.js';
import { InProcessRateLimiter } from './in-process-rate-limiter.js';
import { openApiDocument } from './openapi-document.js';
import { StaticTokenAuthenticator } from './static-token-authenticator.js';

// ajv-formats is CommonJS with a default export; under NodeNext its namespace may wrap it.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

const DOC_ID = 'https://image-catalog.test/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...openApiDocument, $id: DOC_ID });

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const validatorAt = (...parts: string[]) => {
  const validate = ajv.getSchema(`${DOC_ID}#/${pointer(...parts)}`);
  if (!validate) throw new Error(`no schema at ${parts.join(' / ')}`);
  return validate;
};

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, { $ref: string }>; content?: Record<string, unknown> }> }>>;
  components: { headers: Record<string, { required?: boolean; schema: unknown }> };
};
const doc = openApiDocument as unknown as Doc;
const PATH = '/images/{image_id}';
const ID = '6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e';
const TOKEN = 'member-token-1234';

function handlerFor(outcome: ResultAsync<ImageDeleted, DeleteImageFailure> | null, options: Partial<ImagesHandlerOptions> = {}) {
  return createImagesHandler({
    basePath: '/v2',
    deleteImage: {
      execute: (c) =>
        outcome ?? okAsync({ imageId: c.imageId, status: 'deleted', deletedAt: new Date(), eventId: 'e', dataDeletionJobs: 0, inlineDataDeletion: null }),
    },
    authenticator: new StaticTokenAuthenticator({ [TOKEN]: { userId: 'u', projectId: 'p', roles: ['member'] } }),
    ...options,
  });
}

/** One way to get each documented status from the real handler. */
const SCENARIOS: readonly (readonly [number, () => Promise<Response>])[] = [
  [204, () => handlerFor(null)(req())],
  [400, () => handlerFor(null)(req({ path: '/v2/images/%zz' }))],
  [401, () => handlerFor(null)(req({ token: null }))],
  [403, () => handlerFor(errAsync(deleteForbidden(ID)))(req())],
  [403, () => handlerFor(errAsync(imageProtected(ID)))(req())],
  [404, () => handlerFor(errAsync(imageNotFound(ID)))(req())],
  [405, () => handlerFor(null)(req({ method: 'PUT' }))],
  [413, () => overLimit(413)],
  [429, () => overLimit(429)],
  [500, () => handlerFor(errAsync(storageFault(new Error('x'))))(req())],
  [503, () => handlerFor(errAsync(storageUnavailable()))(req())],
];

function req(init: { path?: string; token?: string | null; method?: string; accept?: string } = {}): Request {
  const headers = new Headers();
  if (init.token !== null) headers.set('x-auth-token', init.token ?? TOKEN);
  if (init.accept) headers.set('accept', init.accept);
  return new Request(`http://images.test${init.path ?? `/v2/images/${ID}`}`, { method: init.method ?? 'DELETE', headers });
}

async function overLimit(status: 413 | 429, accept?: string): Promise<Response> {
  const handler = handlerFor(null, { rateLimiter: new InProcessRateLimiter({ limit: 1, windowSeconds: 60 }), overLimitStatus: status });
  await handler(req());
  return handler(req(accept ? { accept } : {}));
}

/** Validates status, headers and body of `res` against the document's response for `method`. */
async function expectDocumented(res: Response, method: 'delete' | 'options'): Promise<void> {
  const responses = doc.paths[PATH]![method]!.responses;
  const documented = responses[String(res.status)];
  expect(documented, `status ${res.status} is documented for ${method}`).toBeDefined();

  for (const [name, { $ref }] of Object.entries(documented!.headers ?? {})) {
    const header = doc.components.headers[$ref.split('/').at(-1)!]!;
    const value = res.headers.get(name);
    if (header.required) expect(value, `header ${name}`).not.toBeNull();
    if (value === null) continue;
    const validate = validatorAt('components', 'headers', $ref.split('/').at(-1)!, 'schema');
    const typed = /^\d+$/.test(value) && name === 'Retry-After' ? Number(value) : value;
    expect(validate(typed), `${name}: ${value} ${JSON.stringify(validate.errors)}`).toBe(true);
  }

  const text = await res.text();
  if (res.status === 204) {
    expect(text).toBe('');
    expect(res.headers.get('content-type')).toBeNull();
    return;
  }
  const contentType = res.headers.get('content-type')!;
  expect(Object.keys(documented!.content ?? {})).toContain(contentType);
  const validate = validatorAt('paths', PATH, method, 'responses', String(res.status), 'content', contentType, 'schema');
  const body: unknown = contentType.includes('json') ? JSON.parse(text) : text;
  expect(validate(body), `${res.status} ${contentType}: ${text} ${JSON.stringify(validate.errors)}`).toBe(true);
}

describe('openApiDocument', () => {
  it('is OpenAPI 3.1 and documents 204, 400, 401, 403, 404, 405, 413, 500, 503 (and 429) for DELETE', () => {
    expect(openApiDocument.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths[PATH]!.delete!.responses).sort()).toEqual(['204', '400', '401', '403', '404', '405', '413', '429', '500', '503']);
  });

  it.each(SCENARIOS.map(([status, make], i) => [status, i, make] as const))('a real %i response (scenario %i) matches the document', async (status, _i, make) => {
    const res = await make();
    expect(res.status).toBe(status);
    await expectDocumented(res, 'delete');
  });

  it.each(['application/problem+json', 'text/plain'])('every fault rendered as %s matches the document', async (accept) => {
    const faulty: readonly (() => Promise<Response>)[] = [
      () => handlerFor(null)(req({ path: '/v2/images/%zz', accept })),
      () => handlerFor(null)(req({ token: null, accept })),
      () => handlerFor(errAsync(imageProtected(ID)))(req({ accept })),
      () => handlerFor(errAsync(imageNotFound(ID)))(req({ accept })),
      () => handlerFor(null)(req({ method: 'GET', accept })),
      () => overLimit(413, accept),
      () => overLimit(429, accept),
      () => handlerFor(errAsync(storageFault()))(req({ accept })),
      () => handlerFor(errAsync(storageUnavailable()))(req({ accept })),
    ];
    for (const make of faulty) await expectDocumented(await make(), 'delete');
  });

  it('documents the OPTIONS answer', async () => {
    await expectDocumented(await handlerFor(null)(req({ method: 'OPTIONS', token: null })), 'options');
  });

  it('would catch a response that breaks the schema', () => {
    const validate = validatorAt('paths', PATH, 'delete', 'responses', '404', 'content', 'application/json; charset=utf-8', 'schema');
    expect(validate({ itemNotFound: { code: 404, message: 'x', requestId: 'req-1' } })).toBe(false);
    expect(validate({ badRequest: { code: 400, message: 'x', requestId: `req-${ID}` } })).toBe(false);
    expect(validate({ itemNotFound: { code: 404, message: 'x', requestId: `req-${ID}` } })).toBe(true);
  });
});
