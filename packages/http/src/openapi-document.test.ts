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
import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { createImagesHandler, type ImagesPipelineOptions } from './images-handler.js';
import { InProcessRateLimiter } from './in-process-rate-limiter.js';
import { openApiDocument } from './openapi-document.js';
import { StaticTokenAuthenticator } from './static-token-authenticator.js';
import { documentPaths as doc, expectDocumented, IMAGE_PATH as PATH, validatorAt } from './test-support/openapi-expectations.js';

const ID = '6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e';
const TOKEN = 'member-token-1234';

function handlerFor(outcome: ResultAsync<ImageDeleted, DeleteImageFailure> | null, options: Partial<ImagesPipelineOptions> = {}) {
  return createImagesHandler({
    basePath: '/v2',
    deleteImage: {
      execute: (c) =>
        outcome ??
        okAsync({
          imageId: c.imageId,
          status: 'deleted',
          deletedAt: new Date(),
          eventId: 'e',
          dataDeletionJobs: 0,
          inlineDataDeletion: null,
        }),
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

describe('openApiDocument', () => {
  it('is OpenAPI 3.1 and documents 204, 400, 401, 403, 404, 405, 413, 500, 503 (and 429) for DELETE', () => {
    expect(openApiDocument.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths[PATH]!.delete!.responses).sort()).toEqual([
      '204',
      '400',
      '401',
      '403',
      '404',
      '405',
      '413',
      '429',
      '500',
      '503',
    ]);
  });

  it.each(SCENARIOS.map(([status, make], i) => [status, i, make] as const))(
    'a real %i response (scenario %i) matches the document',
    async (status, _i, make) => {
      const res = await make();
      expect(res.status).toBe(status);
      await expectDocumented(res, 'delete');
    },
  );

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
