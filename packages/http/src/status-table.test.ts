// The status table and fault rendering: every failure kind, core and HTTP, gets its documented status and name.
import { DELETE_IMAGE_FAILURE_KINDS } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { toFault } from './fault.js';
import { renderFault } from './fault-reply.js';
import { HTTP_FAILURE_KINDS, type ImagesFailure, type ImagesFailureKind } from './http-failures.js';
import { FAILURE_STATUS, FAULT_NAMES, type FaultStatus } from './status-table.js';

const RETRY_AT = new Date('2025-01-01T00:01:00Z');

/** A sample of every kind; a kind added anywhere makes this object fail to compile. */
const SAMPLES: Record<ImagesFailureKind, ImagesFailure> = {
  InvalidImageId: { kind: 'InvalidImageId', message: 'Invalid image id: expected a UUID.' },
  ImageNotFound: { kind: 'ImageNotFound', imageId: 'i', message: 'No image found with ID i' },
  DeleteForbidden: { kind: 'DeleteForbidden', imageId: 'i', message: 'You are not authorized to complete delete_image action.' },
  ImageProtected: { kind: 'ImageProtected', imageId: 'i', message: 'Image i is protected and cannot be deleted.' },
  StorageUnavailable: { kind: 'StorageUnavailable', message: 'unavailable', retryAfterSeconds: 5 },
  StorageFault: { kind: 'StorageFault', message: 'SQLITE_CORRUPT' },
  RouteNotFound: { kind: 'RouteNotFound' },
  Unauthorized: { kind: 'Unauthorized' },
  IdentityUnavailable: { kind: 'IdentityUnavailable', retryAfterSeconds: 2.2 },
  MethodNotAllowed: { kind: 'MethodNotAllowed' },
  OverLimit: { kind: 'OverLimit', retryAfterSeconds: 60, retryAt: RETRY_AT },
  LimiterUnavailable: { kind: 'LimiterUnavailable', retryAfterSeconds: 1 },
  BodyNotAllowed: { kind: 'BodyNotAllowed' },
  MalformedImageId: { kind: 'MalformedImageId' },
  MalformedRequest: { kind: 'MalformedRequest', reason: 'HeadersTooLarge' },
  Draining: { kind: 'Draining', retryAfterSeconds: 5 },
  InternalError: { kind: 'InternalError', cause: new Error('x') },
};

const EXPECTED: Record<ImagesFailureKind, readonly [number, string]> = {
  InvalidImageId: [400, 'badRequest'],
  ImageNotFound: [404, 'itemNotFound'],
  DeleteForbidden: [403, 'forbidden'],
  ImageProtected: [403, 'forbidden'],
  StorageUnavailable: [503, 'serviceUnavailable'],
  StorageFault: [500, 'apiFault'],
  RouteNotFound: [404, 'itemNotFound'],
  Unauthorized: [401, 'unauthorized'],
  IdentityUnavailable: [503, 'serviceUnavailable'],
  MethodNotAllowed: [405, 'badMethod'],
  OverLimit: [413, 'overLimit'],
  LimiterUnavailable: [503, 'serviceUnavailable'],
  BodyNotAllowed: [400, 'badRequest'],
  MalformedImageId: [400, 'badRequest'],
  MalformedRequest: [400, 'badRequest'],
  Draining: [503, 'serviceUnavailable'],
  InternalError: [500, 'apiFault'],
};

describe('FAILURE_STATUS', () => {
  it('covers exactly the core kinds and the HTTP kinds', () => {
    expect(Object.keys(FAILURE_STATUS).sort()).toEqual([...DELETE_IMAGE_FAILURE_KINDS, ...HTTP_FAILURE_KINDS].sort());
  });

  it.each(Object.keys(SAMPLES) as ImagesFailureKind[])('maps %s to its status, fault name and headers', (kind) => {
    const fault = toFault(SAMPLES[kind]);
    const [status, name] = EXPECTED[kind];
    expect([fault.status, fault.name]).toEqual([status, name]);
    expect(FAULT_NAMES[fault.status]).toBe(name);
    if (status === 503 || status === 413) expect(fault.headers['retry-after']).toMatch(/^\d+$/);
    if (status === 401) expect(fault.headers['www-authenticate']).toBeTruthy();
    if (status === 405) expect(fault.headers.allow).toBe('DELETE, OPTIONS');
    if (status === 500) expect(fault.message).toBe('The server has either erred or is incapable of performing the requested operation.');
  });

  it('is checked by the compiler: a kind without a status does not type-check', () => {
    // @ts-expect-error `NewKind` has no entry, exactly what a kind added to the core would cause.
    const extended: Record<ImagesFailureKind | 'NewKind', FaultStatus> = FAILURE_STATUS;
    expect(extended).toBe(FAILURE_STATUS);
  });

  it('rounds Retry-After up to whole seconds', () => {
    expect(toFault(SAMPLES.IdentityUnavailable).headers['retry-after']).toBe('3');
  });

  it('answers OverLimit with 429 when configured', () => {
    const fault = toFault(SAMPLES.OverLimit, { overLimitStatus: 429 });
    expect([fault.status, fault.name, fault.reason]).toEqual([429, 'overLimit', 'Too Many Requests']);
  });
});

describe('renderFault', () => {
  const overLimit = toFault(SAMPLES.OverLimit);
  const requestId = 'req-6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e';

  it('renders the OpenStack JSON fault', () => {
    const reply = renderFault(overLimit, 'json', requestId);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(reply.headers['x-openstack-request-id']).toBe(requestId);
    expect(reply.headers.vary).toBe('Accept');
    expect(JSON.parse(reply.body!)).toEqual({
      overLimit: { code: 413, message: 'This request was rate-limited.', requestId, retryAfter: 60, retryAt: '2025-01-01T00:01:00Z' },
    });
  });

  it('renders RFC 9457 problem details', () => {
    const reply = renderFault(overLimit, 'problem', requestId);
    expect(reply.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(reply.body!)).toEqual({
      type: 'about:blank',
      title: 'Over Limit',
      status: 413,
      detail: 'This request was rate-limited.',
      fault: 'overLimit',
      requestId,
      retryAfter: 60,
      retryAt: '2025-01-01T00:01:00Z',
    });
  });

  it('renders text as "<code> <reason>\\n\\n<message>"', () => {
    const reply = renderFault(toFault(SAMPLES.ImageNotFound), 'text', requestId);
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.body).toBe('404 Not Found\n\nNo image found with ID i');
    expect(reply.statusText).toBe('Not Found');
  });
});
