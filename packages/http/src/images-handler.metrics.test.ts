// The handler's metrics hook: one observation per answered request, with its outcome and status; a broken hook changes no answer.
import {
  deleteForbidden,
  imageNotFound,
  imageProtected,
  invalidImageId,
  storageFault,
  storageUnavailable,
  type DeleteImageFailure,
  type ImageDeleted,
  type Principal,
} from '@image-catalog/core';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { authenticated, identityUnavailable, unauthenticated, type IdentityResolver } from './identity.port.js';
import { createImagesHandler, type ImagesPipelineOptions } from './images-handler.js';
import type { ImagesMetrics, ImagesOutcome, ImagesRequestObservation, ObservedMethod } from './images-metrics.port.js';
import type { ImagesRequest } from './images-request.js';
import type { RateLimiter } from './rate-limiter.port.js';
import { PINO_LEVEL, pinoLines } from './test-support/pino-lines.js';

const ID = '6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e';
const TOKEN = 'member-token';
const ALICE: Principal = { userId: 'alice', projectId: 'p1', roles: ['member'] };
const REQUEST_ID = 'req-0b5f1c9e-3a4d-4e8f-9a1b-2c3d4e5f6a7b';

const deleted = (imageId: string): ResultAsync<ImageDeleted, DeleteImageFailure> =>
  okAsync({ imageId, status: 'deleted', deletedAt: new Date(0), eventId: 'e', dataDeletionJobs: 0, inlineDataDeletion: null });

const byToken: IdentityResolver<Request> = (request) =>
  request.headers.get('x-auth-token') === TOKEN ? authenticated(ALICE) : unauthenticated();

const refusingLimiter: RateLimiter = {
  consume: (_key, now) => okAsync({ allowed: false, retryAfterSeconds: 30, retryAt: new Date(now.getTime() + 30_000) }),
};

/** One request and what the handler must report of it. */
interface Scenario {
  readonly options?: Partial<ImagesPipelineOptions>;
  readonly identify?: IdentityResolver<Request>;
  readonly useCase?: (imageId: string) => ResultAsync<ImageDeleted, DeleteImageFailure>;
  readonly method?: string;
  readonly path?: string;
  readonly token?: string | null;
  readonly body?: string;
  readonly expected: { readonly method: ObservedMethod; readonly status: number };
}

/**
 * One scenario per outcome the handler can answer with (`MalformedRequest` is the clientError
 * listener's, before any handler runs). Keyed by outcome, so a new failure kind does not compile
 * until it has a scenario here.
 */
const BY_OUTCOME: Record<Exclude<ImagesOutcome, 'MalformedRequest'>, Scenario> = {
  deleted: { expected: { method: 'DELETE', status: 204 } },
  options: { method: 'OPTIONS', token: null, expected: { method: 'OPTIONS', status: 204 } },
  RouteNotFound: { path: '/v2/imagez', expected: { method: 'DELETE', status: 404 } },
  Draining: { options: { isDraining: () => true }, expected: { method: 'DELETE', status: 503 } },
  Unauthorized: { token: null, expected: { method: 'DELETE', status: 401 } },
  IdentityUnavailable: { identify: () => identityUnavailable({ retryAfterSeconds: 9 }), expected: { method: 'DELETE', status: 503 } },
  MethodNotAllowed: { method: 'GET', expected: { method: 'GET', status: 405 } },
  OverLimit: { options: { rateLimiter: refusingLimiter }, expected: { method: 'DELETE', status: 413 } },
  LimiterUnavailable: {
    options: { rateLimiter: { consume: () => errAsync(storageUnavailable(undefined, 2)) } },
    expected: { method: 'DELETE', status: 503 },
  },
  BodyNotAllowed: { body: '{}', expected: { method: 'DELETE', status: 400 } },
  MalformedImageId: { path: '/v2/images/%zz', expected: { method: 'DELETE', status: 400 } },
  InternalError: {
    useCase: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'id')");
    },
    expected: { method: 'DELETE', status: 500 },
  },
  InvalidImageId: { useCase: () => errAsync(invalidImageId('a UUID')), expected: { method: 'DELETE', status: 400 } },
  ImageNotFound: { useCase: (id) => errAsync(imageNotFound(id)), expected: { method: 'DELETE', status: 404 } },
  DeleteForbidden: { useCase: (id) => errAsync(deleteForbidden(id)), expected: { method: 'DELETE', status: 403 } },
  ImageProtected: { useCase: (id) => errAsync(imageProtected(id)), expected: { method: 'DELETE', status: 403 } },
  StorageUnavailable: {
    useCase: () => errAsync(storageUnavailable(new Error('SQLITE_BUSY'), 7)),
    expected: { method: 'DELETE', status: 503 },
  },
  StorageFault: { useCase: () => errAsync(storageFault(new Error('SQLITE_CORRUPT'))), expected: { method: 'DELETE', status: 500 } },
};

/** Other ways to the same outcomes, which must be reported the same way. */
const VARIANTS: readonly [string, ImagesOutcome, Scenario][] = [
  [
    'OPTIONS while draining',
    'options',
    { method: 'OPTIONS', token: null, options: { isDraining: () => true }, expected: { method: 'OPTIONS', status: 204 } },
  ],
  [
    'over the limit, configured for 429',
    'OverLimit',
    { options: { rateLimiter: refusingLimiter, overLimitStatus: 429 }, expected: { method: 'DELETE', status: 429 } },
  ],
  [
    'a limiter fault',
    'InternalError',
    {
      options: { rateLimiter: { consume: () => errAsync(storageFault(new Error('READONLY'))) } },
      expected: { method: 'DELETE', status: 500 },
    },
  ],
  [
    'an identity resolver that throws',
    'InternalError',
    {
      identify: () => {
        throw new Error('session store exploded');
      },
      expected: { method: 'DELETE', status: 500 },
    },
  ],
  [
    'a use case whose promise rejects',
    'InternalError',
    {
      useCase: () => ResultAsync.fromSafePromise(Promise.reject(new Error('driver crashed'))),
      expected: { method: 'DELETE', status: 500 },
    },
  ],
  ['PUT', 'MethodNotAllowed', { method: 'PUT', expected: { method: 'PUT', status: 405 } }],
  ['an unknown token on GET (401 before 405)', 'Unauthorized', { method: 'GET', token: 'nope', expected: { method: 'GET', status: 401 } }],
];

function recordingHook(): ImagesMetrics & { readonly observations: ImagesRequestObservation[] } {
  const observations: ImagesRequestObservation[] = [];
  return { observations, requestServed: (observation) => void observations.push(observation) };
}

function handlerFor(scenario: Scenario, metrics: ImagesMetrics | null, extra: Partial<ImagesPipelineOptions> = {}) {
  return createImagesHandler<Request>({
    basePath: '/v2',
    deleteImage: { execute: (command) => (scenario.useCase ?? deleted)(command.imageId) },
    identify: scenario.identify ?? byToken,
    metrics,
    ...scenario.options,
    ...extra,
  });
}

function requestOf(scenario: Scenario): Request {
  const headers = new Headers({ 'x-openstack-request-id': REQUEST_ID });
  const token = scenario.token === undefined ? TOKEN : scenario.token;
  if (token !== null) headers.set('x-auth-token', token);
  return new Request(`http://images.test${scenario.path ?? `/v2/images/${ID}`}`, {
    method: scenario.method ?? 'DELETE',
    headers,
    ...(scenario.body !== undefined ? { body: scenario.body } : {}),
  });
}

async function snapshot(res: Response) {
  return { status: res.status, statusText: res.statusText, headers: [...res.headers.entries()], body: await res.text() };
}

const scenarios: [string, ImagesOutcome, Scenario][] = [
  ...Object.entries(BY_OUTCOME).map(([outcome, s]): [string, ImagesOutcome, Scenario] => [outcome, outcome as ImagesOutcome, s]),
  ...VARIANTS,
];

describe('createImagesHandler metrics: one observation per answered request', () => {
  it.each(scenarios)('%s: reports its method, status and outcome %s', async (_name, outcome, scenario) => {
    const hook = recordingHook();
    const res = await handlerFor(scenario, hook)(requestOf(scenario));
    expect(res.status).toBe(scenario.expected.status);
    expect(hook.observations).toEqual([
      { method: scenario.expected.method, status: res.status, outcome, durationSeconds: expect.any(Number) },
    ]);
    const { durationSeconds } = hook.observations[0]!;
    expect(durationSeconds).toBeGreaterThanOrEqual(0);
    expect(durationSeconds).toBeLessThan(5);
  });

  it('counts every request separately, in order', async () => {
    const hook = recordingHook();
    const handler = handlerFor(
      { useCase: (id) => (id === ID ? deleted(id) : errAsync(imageNotFound(id))), expected: { method: 'DELETE', status: 0 } },
      hook,
    );
    await handler(requestOf({ expected: { method: 'DELETE', status: 204 } }));
    await handler(requestOf({ path: '/v2/images/0b5f1c9e-3a4d-4e8f-9a1b-2c3d4e5f6a7b', expected: { method: 'DELETE', status: 404 } }));
    await handler(requestOf({ token: null, expected: { method: 'DELETE', status: 401 } }));
    expect(hook.observations.map((o) => [o.status, o.outcome])).toEqual([
      [204, 'deleted'],
      [404, 'ImageNotFound'],
      [401, 'Unauthorized'],
    ]);
  });

  it('measures the time the pipeline took, in seconds', async () => {
    const hook = recordingHook();
    const slow = (id: string) => ResultAsync.fromSafePromise(new Promise<void>((done) => setTimeout(done, 60))).andThen(() => deleted(id));
    await handlerFor(
      { useCase: slow, expected: { method: 'DELETE', status: 204 } },
      hook,
    )(requestOf({ expected: { method: 'DELETE', status: 204 } }));
    expect(hook.observations[0]!.durationSeconds).toBeGreaterThanOrEqual(0.05);
    expect(hook.observations[0]!.durationSeconds).toBeLessThan(5);
  });

  it('bounds the method label: methods outside the standard set, or in another case, are OTHER', async () => {
    const hook = recordingHook();
    const handler = handlerFor({ expected: { method: 'OTHER', status: 405 } }, hook);
    const request = (method: string): ImagesRequest => ({
      method,
      path: `/v2/images/${ID}`,
      header: () => null,
      bodyHasContent: () => Promise.resolve(false),
    });
    for (const method of ['BREW', 'delete', 'x'.repeat(500), 'PROPFIND']) {
      const reply = await handler.handle(request(method), new Request('http://images.test/', { headers: { 'x-auth-token': TOKEN } }));
      expect(reply.status).toBe(405);
    }
    expect(hook.observations.map((o) => o.method)).toEqual(['OTHER', 'OTHER', 'OTHER', 'OTHER']);
  });

  it('refuses a metrics option without requestServed, naming it', () => {
    expect(() => handlerFor({ expected: { method: 'DELETE', status: 0 } }, {} as ImagesMetrics)).toThrow(
      /metrics must be an object with a requestServed\(observation\) method/,
    );
  });
});

describe('createImagesHandler metrics: a broken hook changes no answer', () => {
  const throwing: ImagesMetrics = {
    requestServed() {
      throw new Error('statsd: socket closed');
    },
  };

  it.each(scenarios)('%s: the same response as without the hook', async (_name, _outcome, scenario) => {
    const expected = await snapshot(await handlerFor(scenario, null)(requestOf(scenario)));
    const actual = await snapshot(await handlerFor(scenario, throwing)(requestOf(scenario)));
    expect(actual).toEqual(expected);
    expect(actual.status).toBe(scenario.expected.status);
  });

  it('logs the error under err once per interval, with the count of failures in between', async () => {
    let nowMs = Date.parse('2025-01-01T00:00:00Z');
    const log = pinoLines();
    const handler = handlerFor({ expected: { method: 'DELETE', status: 204 } }, throwing, {
      logger: log.logger,
      clock: { now: () => new Date(nowMs) },
    });
    const call = async () => (await handler(requestOf({ expected: { method: 'DELETE', status: 204 } }))).status;
    expect([await call(), await call(), await call()]).toEqual([204, 204, 204]);
    nowMs += 60_000;
    expect(await call()).toBe(204);

    const failures = log.lines().filter((line) => line.msg.startsWith('metrics hook failed'));
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ level: PINO_LEVEL.error, err: { message: 'statsd: socket closed' } });
    expect(failures[0]!.err?.stack).toContain('statsd: socket closed');
    expect(failures[0]).not.toHaveProperty('repeated');
    expect(failures[1]).toMatchObject({ level: PINO_LEVEL.error, repeated: 2 });
    // The request lines are all there, unaffected.
    expect(log.lines().filter((line) => line.msg === 'request')).toHaveLength(4);
  });

  it('catches an async hook that rejects, and logs it', async () => {
    const log = pinoLines();
    // A hook typed to return void may still hand back a rejected promise at run time.
    const rejecting = { requestServed: () => Promise.reject(new Error('otel exporter down')) } as unknown as ImagesMetrics;
    const handler = handlerFor({ expected: { method: 'DELETE', status: 204 } }, rejecting, { logger: log.logger });
    expect((await handler(requestOf({ expected: { method: 'DELETE', status: 204 } }))).status).toBe(204);
    await new Promise((done) => setTimeout(done, 0));
    expect(
      log
        .lines()
        .filter((line) => line.msg.startsWith('metrics hook failed'))
        .map((line) => line.err?.message),
    ).toEqual(['otel exporter down']);
  });

  it('survives a logger that throws too', async () => {
    const throwingLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => {
        throw new Error('log pipe closed');
      },
    };
    const handler = handlerFor({ expected: { method: 'DELETE', status: 204 } }, throwing, { logger: throwingLogger });
    expect((await handler(requestOf({ expected: { method: 'DELETE', status: 204 } }))).status).toBe(204);
  });
});
