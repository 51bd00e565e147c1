// The pipeline with a fake use case: behaviour.md §9's order, every failure kind, request ids, logs.
import {
  deleteForbidden,
  imageNotFound,
  imageProtected,
  invalidImageId,
  storageFault,
  storageUnavailable,
  type DeleteImageCommand,
  type DeleteImageFailure,
  type DeleteImageFailureKind,
  type ImageDeleted,
  type Logger,
  type Principal,
  type StorageError,
} from '@image-catalog/core';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import type { Authenticator } from './authenticator.port.js';
import { INTERNAL_ERROR_MESSAGE } from './fault.js';
import type { IdentityResolver } from './identity.port.js';
import { createImagesHandler, type DeleteImageExecutor, type ImagesPipelineOptions } from './images-handler.js';
import { InProcessRateLimiter } from './in-process-rate-limiter.js';
import type { RateLimiter } from './rate-limiter.port.js';
import { StaticTokenAuthenticator } from './static-token-authenticator.js';
import { tokenIdentity } from './token-identity.js';

const ID = '6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e';
const TOKEN = 'member-token-1234';
const MEMBER: Principal = { userId: 'alice', projectId: 'project-a', roles: ['member'] };
const PROJECTLESS: Principal = { userId: 'root', projectId: null, roles: ['admin'] };
const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const deleted = (imageId: string): ImageDeleted => ({
  imageId,
  status: 'deleted',
  deletedAt: new Date('2025-01-01T00:00:00Z'),
  eventId: 'event-1',
  dataDeletionJobs: 0,
  inlineDataDeletion: null,
});

/** A use case answering with `outcome` and remembering every command. */
function fakeUseCase(
  outcome: (command: DeleteImageCommand) => ResultAsync<ImageDeleted, DeleteImageFailure> = (c) => okAsync(deleted(c.imageId)),
) {
  const commands: DeleteImageCommand[] = [];
  const useCase: DeleteImageExecutor = {
    execute(command) {
      commands.push(command);
      return outcome(command);
    },
  };
  return { useCase, commands };
}

interface LogLine {
  readonly level: string;
  readonly obj: Record<string, unknown>;
  readonly msg?: string;
}

function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: object, msg?: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, ...(msg !== undefined ? { msg } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Options of a test handler; without `identify` it authenticates {@link TOKEN} and `projectless-token`. */
type SetupOptions = Partial<ImagesPipelineOptions> & { readonly identify?: IdentityResolver<Request> };

function setup(options: SetupOptions = {}, outcome?: Parameters<typeof fakeUseCase>[0]) {
  const { useCase, commands } = fakeUseCase(outcome);
  const logger = recordingLogger();
  const { identify, ...rest } = options;
  const handler = createImagesHandler<Request>({
    basePath: '/v2',
    deleteImage: useCase,
    logger,
    ...rest,
    ...(identify ? { identify } : { authenticator: new StaticTokenAuthenticator({ [TOKEN]: MEMBER, 'projectless-token': PROJECTLESS }) }),
  });
  return { handler, commands, logger };
}

function call(
  handler: (r: Request) => Promise<Response>,
  init: RequestInit & { path?: string; token?: string | null } = {},
): Promise<Response> {
  const { path = `/v2/images/${ID}`, token = TOKEN, headers, ...rest } = init;
  const h = new Headers(headers);
  if (token !== null) h.set('X-Auth-Token', token);
  return handler(new Request(`http://images.test${path}`, { method: 'DELETE', ...rest, headers: h }));
}

async function fault(res: Response): Promise<{ name: string; detail: Record<string, unknown> }> {
  const body = (await res.json()) as Record<string, Record<string, unknown>>;
  const [name = ''] = Object.keys(body);
  return { name, detail: body[name]! };
}

/** One sample of every core failure kind, with the status and fault name it must get. */
const CORE_FAILURES: Record<DeleteImageFailureKind, readonly [DeleteImageFailure, number, string]> = {
  InvalidImageId: [invalidImageId('a UUID'), 400, 'badRequest'],
  ImageNotFound: [imageNotFound(ID), 404, 'itemNotFound'],
  DeleteForbidden: [deleteForbidden(ID), 403, 'forbidden'],
  ImageProtected: [imageProtected(ID), 403, 'forbidden'],
  StorageUnavailable: [
    storageUnavailable(new Error('SQLITE_BUSY: database is locked at /var/lib/images.db'), 7),
    503,
    'serviceUnavailable',
  ],
  StorageFault: [
    storageFault(new Error('SQLITE_CORRUPT at /var/lib/images.db\n    at Statement.run (node_modules/x.js:1:2)')),
    500,
    'apiFault',
  ],
};

describe('createImagesHandler: every core failure kind', () => {
  it.each(Object.entries(CORE_FAILURES))('maps %s', async (_kind, [failure, status, name]) => {
    const { handler } = setup({}, () => errAsync(failure));
    const res = await call(handler);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await fault(res);
    expect(body.name).toBe(name);
    expect(body.detail.code).toBe(status);
    expect(body.detail.requestId).toBe(res.headers.get('x-openstack-request-id'));
    expect(body.detail.message).toBe(status === 500 ? INTERNAL_ERROR_MESSAGE : failure.message);
    expect(JSON.stringify(body)).not.toMatch(/SQLITE|\/var\/lib|node_modules|at Statement/);
  });

  it('sends the 403 messages of both denials as they are', async () => {
    for (const failure of [deleteForbidden(ID), imageProtected(ID)]) {
      const { handler } = setup({}, () => errAsync(failure));
      expect((await fault(await call(handler))).detail.message).toBe(failure.message);
    }
    expect(imageProtected(ID).message).toBe(`Image ${ID} is protected and cannot be deleted.`);
    expect(deleteForbidden(ID).message).toBe('You are not authorized to complete delete_image action.');
  });

  it('gives a storage 503 the Retry-After of the failure', async () => {
    const { handler } = setup({}, () => errAsync(storageUnavailable(undefined, 7)));
    const res = await call(handler);
    expect(res.headers.get('retry-after')).toBe('7');
    expect((await fault(res)).detail.retryAfter).toBe(7);
  });
});

describe('createImagesHandler: success', () => {
  it('answers 204 with no body, no Content-Type, and a request id', async () => {
    const { handler, commands } = setup();
    const res = await call(handler);
    expect(res.status).toBe(204);
    expect(res.headers.get('content-type')).toBeNull();
    expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID);
    expect(await res.text()).toBe('');
    expect(commands).toEqual([{ imageId: ID, principal: MEMBER }]);
  });

  it('hands the use case the percent-decoded id, and the principal', async () => {
    const { handler, commands } = setup({}, (c) => errAsync(imageNotFound(c.imageId)));
    await call(handler, { path: '/v2/images/opaque%3Aid' });
    expect(commands[0]?.imageId).toBe('opaque:id');
  });
});

describe('createImagesHandler: the order of behaviour.md §9', () => {
  it('1. OPTIONS: 204 + Allow, no authentication, no use case', async () => {
    const { handler, commands } = setup({ isDraining: () => true });
    const res = await call(handler, { method: 'OPTIONS', token: null, path: '/v2/images/not-an-id' });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('DELETE, OPTIONS');
    expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID);
    expect(commands).toHaveLength(0);
  });

  it('draining: 503 + Retry-After + Connection: close before authentication', async () => {
    const { handler, commands } = setup({ isDraining: () => true, drainingRetryAfterSeconds: 3 });
    const res = await call(handler, { token: null });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('connection')).toBe('close');
    expect((await fault(res)).name).toBe('serviceUnavailable');
    expect(commands).toHaveLength(0);
  });

  it('2. 401 with WWW-Authenticate for a missing or unknown token, before the method, body and id checks', async () => {
    const { handler, commands } = setup({ wwwAuthenticate: 'Keystone uri="https://keystone.test/v3"' });
    for (const init of [
      { token: null },
      { token: 'nope' },
      { token: null, method: 'GET' },
      { token: null, body: 'x' },
      { token: null, path: '/v2/images/%zz' },
    ]) {
      const res = await call(handler, init);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Keystone uri="https://keystone.test/v3"');
      expect((await fault(res)).name).toBe('unauthorized');
    }
    expect(commands).toHaveLength(0);
  });

  it('2. defaults WWW-Authenticate to a Bearer challenge', async () => {
    const { handler } = setup();
    expect((await call(handler, { token: null })).headers.get('www-authenticate')).toBe('Bearer realm="image-catalog"');
  });

  it('2. 503 + Retry-After when the identity backend is unreachable; 500 on its fault or exception', async () => {
    const failing = (error: StorageError | 'throw'): Authenticator => ({
      authenticate: () => {
        if (error === 'throw') throw new Error('identity exploded at /srv/identity.js:1:1');
        return errAsync(error);
      },
    });
    const unavailable = setup({ identify: tokenIdentity(failing(storageUnavailable(new Error('ECONNREFUSED'), 11))) });
    const res = await call(unavailable.handler);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('11');
    expect(unavailable.logger.lines.at(-1)?.obj.err).toBeInstanceOf(Error);

    for (const error of [storageFault(new Error('boom')), 'throw'] as const) {
      const { handler } = setup({ identify: tokenIdentity(failing(error)) });
      const r = await call(handler);
      expect(r.status).toBe(500);
      const text = await r.text();
      expect(text).toContain(INTERNAL_ERROR_MESSAGE);
      expect(text).not.toMatch(/exploded|boom|srv/);
    }
  });

  it('lists the methods the host serves on the same path in Allow (OPTIONS and 405), HEAD with GET', async () => {
    const { handler } = setup({ hostMethods: ['get', 'PATCH'] });
    const options = await call(handler, { method: 'OPTIONS', token: null });
    expect(options.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE, OPTIONS');
    const put = await call(handler, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE, OPTIONS');
    // A host that names HEAD itself keeps its order; HEAD is never listed twice.
    const named = setup({ hostMethods: ['HEAD', 'GET'] });
    expect((await call(named.handler, { method: 'OPTIONS', token: null })).headers.get('allow')).toBe('HEAD, GET, DELETE, OPTIONS');
  });

  it('3. 405 + Allow for any other method, after authentication', async () => {
    const { handler, commands } = setup();
    for (const method of ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'PURGE']) {
      const res = await call(handler, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('DELETE, OPTIONS');
      if (method !== 'HEAD') expect((await fault(res)).name).toBe('badMethod');
      else expect(await res.text()).toBe('');
    }
    expect(commands).toHaveLength(0);
  });

  it('4. 413 Over Limit per project with Retry-After, retryAfter and retryAt; other projects unaffected', async () => {
    let now = new Date('2025-01-01T00:00:00Z');
    const rateLimiter = new InProcessRateLimiter({ limit: 2, windowSeconds: 60 });
    const { handler, commands } = setup({ rateLimiter, clock: { now: () => now } });
    expect((await call(handler)).status).toBe(204);
    now = new Date('2025-01-01T00:00:10Z');
    expect((await call(handler)).status).toBe(204);
    const res = await call(handler);
    expect(res.status).toBe(413);
    expect(res.statusText).toBe('Over Limit');
    expect(res.headers.get('retry-after')).toBe('50');
    const body = await fault(res);
    expect(body).toEqual({
      name: 'overLimit',
      detail: {
        code: 413,
        message: 'This request was rate-limited.',
        requestId: res.headers.get('x-openstack-request-id'),
        retryAfter: 50,
        retryAt: '2025-01-01T00:01:00Z',
      },
    });
    expect(commands).toHaveLength(2);
    expect((await call(handler, { token: 'projectless-token' })).status).toBe(204);
    now = new Date('2025-01-01T00:01:00Z');
    expect((await call(handler)).status).toBe(204);
  });

  it('4. 429 instead when configured', async () => {
    const rateLimiter = new InProcessRateLimiter({ limit: 1, windowSeconds: 60 });
    const { handler } = setup({ rateLimiter, overLimitStatus: 429 });
    await call(handler);
    const res = await call(handler);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await fault(res)).name).toBe('overLimit');
  });

  it('4. keys the limiter by project, or by user without a project', async () => {
    const keys: string[] = [];
    const rateLimiter: RateLimiter = { consume: (key) => (keys.push(key), okAsync({ allowed: true })) };
    const { handler } = setup({ rateLimiter });
    await call(handler);
    await call(handler, { token: 'projectless-token' });
    await call(handler, { method: 'GET' });
    expect(keys).toEqual(['project:project-a', 'user:root']);
  });

  it('4. 503 + Retry-After when the limiter is unreachable; 500 on its fault', async () => {
    const limiter = (error: StorageError): RateLimiter => ({ consume: () => errAsync(error) });
    const unavailable = setup({ rateLimiter: limiter(storageUnavailable(undefined, 2)) });
    const res = await call(unavailable.handler);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    const faulty = setup({ rateLimiter: limiter(storageFault()) });
    expect((await call(faulty.handler)).status).toBe(500);
    expect(unavailable.commands).toHaveLength(0);
  });

  it('5. 400 for a body with content, before the id check; the use case never runs', async () => {
    const { handler, commands } = setup();
    const bodies: RequestInit[] = [
      { body: '{}' },
      { body: 'x', headers: { 'content-length': '1' } },
      {
        body: new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(0)), c.enqueue(new Uint8Array([1])), c.close()) }),
        duplex: 'half',
      } as RequestInit,
    ];
    for (const init of bodies) {
      const res = await call(handler, init);
      expect(res.status).toBe(400);
      expect((await fault(res)).detail.message).toBe('A body is not expected with this request.');
    }
    const malformedWithBody = await call(handler, { path: '/v2/images/%zz', body: 'x' });
    expect((await fault(malformedWithBody)).detail.message).toBe('A body is not expected with this request.');
    expect(commands).toHaveLength(0);
  });

  it('5. an empty body is fine', async () => {
    const { handler } = setup();
    expect((await call(handler, { body: '' })).status).toBe(204);
    expect((await call(handler, { body: new ReadableStream({ start: (c) => c.close() }), duplex: 'half' } as RequestInit)).status).toBe(
      204,
    );
  });

  it('5. reads only the first chunk of an endless body', async () => {
    const { handler } = setup();
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        pulls += 1;
        c.enqueue(new Uint8Array(1024));
      },
    });
    expect((await call(handler, { body: endless, duplex: 'half' } as RequestInit)).status).toBe(400);
    expect(pulls).toBeLessThan(5);
  });

  it.each(['%zz', '%', '%2F', 'a%2Fb', '%00', 'x%0Ay', '%C2%85', '%E0%A4%A', 'a'.repeat(256), '%41'.repeat(256)])(
    '6. 400 for the id segment %s, never reaching the use case',
    async (segment) => {
      const { handler, commands } = setup();
      const res = await call(handler, { path: `/v2/images/${segment}` });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).toContain('badRequest');
      if (segment.length > 5) expect(text).not.toContain(segment);
      expect(commands).toHaveLength(0);
    },
  );
});

describe('createImagesHandler: routing', () => {
  it.each(['/v2/images', '/v2/images/', `/v2/images/${ID}/file`, `/v2/images/${ID}/`, `/images/${ID}`, `/v3/images/${ID}`, '/'])(
    'answers %s with a 404 fault',
    async (path) => {
      const { handler, commands } = setup();
      const res = await call(handler, { path });
      expect(res.status).toBe(404);
      expect((await fault(res)).name).toBe('itemNotFound');
      expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID);
      expect(commands).toHaveLength(0);
    },
  );

  it('matches() tells hosts which URLs it serves', () => {
    const { handler } = setup();
    expect(handler.matches(`http://x/v2/images/${ID}`)).toBe(true);
    expect(handler.matches(`/v2/images/${ID}?a=b`)).toBe(true);
    expect(handler.matches(new URL(`http://x/v2/images/${ID}`))).toBe(true);
    expect(handler.matches(`/v2/images/${ID}/file`)).toBe(false);
    expect(handler.matches('/v2/images')).toBe(false);
    expect(handler.matches('not a url')).toBe(false);
  });

  it('normalises the base path', async () => {
    for (const basePath of ['v2', '/v2/', '/v2']) {
      const { handler } = setup({ basePath });
      expect(handler.basePath).toBe('/v2');
      expect((await call(handler)).status).toBe(204);
    }
    const { handler } = setup({ basePath: '' });
    expect((await call(handler, { path: `/images/${ID}` })).status).toBe(204);
  });
});

describe('createImagesHandler: request ids', () => {
  it('keeps an incoming req-<uuid> (any case) and replaces anything else', async () => {
    const { handler } = setup({}, () => errAsync(imageNotFound(ID)));
    const kept = [`req-${ID}`, `req-${ID.toUpperCase()}`];
    for (const incoming of kept) {
      const res = await call(handler, { headers: { 'x-openstack-request-id': incoming } });
      expect(res.headers.get('x-openstack-request-id')).toBe(incoming);
      expect((await fault(res)).detail.requestId).toBe(incoming);
    }
    // (Surrounding whitespace is not part of a header value: HTTP strips it before anyone sees it.)
    for (const incoming of ['req-1', ID, `req-${ID}x`, `REQ-${ID}`, `req-${ID}, req-${ID}`, `req_${ID}`]) {
      const res = await call(handler, { headers: { 'x-openstack-request-id': incoming } });
      const id = res.headers.get('x-openstack-request-id');
      expect(id).not.toBe(incoming);
      expect(id).toMatch(REQUEST_ID);
      expect((await fault(res)).detail.requestId).toBe(id);
    }
  });

  it('puts one on 204, OPTIONS, 404 routes and 500s', async () => {
    const { handler } = setup({}, () => {
      throw new Error('use case threw');
    });
    for (const init of [{ method: 'OPTIONS' }, { path: '/elsewhere' }, {}]) {
      expect((await call(handler, init)).headers.get('x-openstack-request-id')).toMatch(REQUEST_ID);
    }
  });
});

describe('createImagesHandler: defects', () => {
  it('answers 500 with the fixed message when anything throws or rejects, and logs the cause', async () => {
    const causes: (() => ResultAsync<ImageDeleted, DeleteImageFailure>)[] = [
      () => {
        throw new TypeError('Cannot read properties of undefined at /app/src/x.ts:1:1');
      },
      () => new ResultAsync(Promise.reject(new Error('SQLITE_IOERR'))),
    ];
    for (const outcome of causes) {
      const { handler, logger } = setup({}, outcome);
      const res = await call(handler, { headers: { accept: 'application/problem+json' } });
      expect(res.status).toBe(500);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 500, detail: INTERNAL_ERROR_MESSAGE, fault: 'apiFault' });
      expect(JSON.stringify(body)).not.toMatch(/SQLITE|TypeError|\/app\//);
      const line = logger.lines.at(-1)!;
      expect(line.level).toBe('error');
      expect(line.obj.err).toBeInstanceOf(Error);
      expect(line.obj.failure).toBe('InternalError');
    }
  });

  it('still answers when isDraining or the logger throws', async () => {
    const throwing: Logger = {
      debug: () => undefined,
      info: () => {
        throw new Error('log sink down');
      },
      warn: () => undefined,
      error: () => undefined,
    };
    const { handler } = setup({ logger: throwing });
    expect((await call(handler)).status).toBe(204);
    const draining = setup({
      isDraining: () => {
        throw new Error('x');
      },
    });
    expect((await call(draining.handler)).status).toBe(500);
  });
});

describe('createImagesHandler: request log', () => {
  it('writes one line per request with method, route template, status, duration, request id and project, never the token', async () => {
    const { handler, logger } = setup({}, () => errAsync(imageNotFound(ID)));
    const res = await call(handler, { path: `/v2/images/${ID}` });
    expect(logger.lines).toHaveLength(1);
    const [line] = logger.lines;
    expect(line!.level).toBe('info');
    expect(line!.obj).toMatchObject({
      method: 'DELETE',
      route: '/v2/images/{image_id}',
      status: 404,
      requestId: res.headers.get('x-openstack-request-id'),
      projectId: 'project-a',
      userId: 'alice',
      failure: 'ImageNotFound',
    });
    expect(typeof line!.obj.durationMs).toBe('number');
    expect(JSON.stringify(logger.lines)).not.toContain(TOKEN);
  });

  it('logs unmatched routes with route null, and 503 causes at warn', async () => {
    const { handler, logger } = setup({}, () => errAsync(storageUnavailable(new Error('locked'))));
    await call(handler, { path: '/v2/other' });
    expect(logger.lines[0]!.obj.route).toBeNull();
    await call(handler);
    expect(logger.lines[1]!.level).toBe('warn');
    expect((logger.lines[1]!.obj.err as Error).message).toBe('locked');
  });
});
