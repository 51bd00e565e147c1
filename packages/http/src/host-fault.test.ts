// hostFault: a host route's own statuses (409, 415 and the pipeline's) rendered in the pipeline's three formats, with its names and headers.
import { describe, expect, it } from 'vitest';
import { hostFault, toFault } from './fault.js';
import { renderFault } from './fault-reply.js';
import {
  FAULT_NAMES,
  HOST_FAULT_NAMES,
  HOST_REASON_PHRASES,
  REASON_PHRASES,
  type FaultStatus,
  type HostFaultStatus,
} from './status-table.js';

const REQUEST_ID = 'req-6f1d3c1e-0a55-4a0e-9d4b-1c2a3b4c5d6e';

describe('HOST_FAULT_NAMES', () => {
  it('keeps every name and reason of the pipeline, and adds Glance names for 409 and 415', () => {
    for (const status of Object.keys(FAULT_NAMES).map(Number) as FaultStatus[]) {
      expect([HOST_FAULT_NAMES[status], HOST_REASON_PHRASES[status]]).toEqual([FAULT_NAMES[status], REASON_PHRASES[status]]);
    }
    expect([HOST_FAULT_NAMES[409], HOST_REASON_PHRASES[409]]).toEqual(['conflictingRequest', 'Conflict']);
    expect([HOST_FAULT_NAMES[415], HOST_REASON_PHRASES[415]]).toEqual(['badMediaType', 'Unsupported Media Type']);
  });

  it('is checked by the compiler: a status added without a name does not type-check', () => {
    // @ts-expect-error 418 has no entry, exactly what a status added to HostFaultStatus alone would cause.
    const extended: Record<HostFaultStatus | 418, string> = HOST_FAULT_NAMES;
    expect(extended).toBe(HOST_FAULT_NAMES);
  });
});

describe('hostFault', () => {
  it('renders a 409 in JSON with the Glance fault name and the message as given', () => {
    const reply = renderFault(hostFault(409, 'Image with identifier x already exists!'), 'json', REQUEST_ID);
    expect(reply.status).toBe(409);
    expect(reply.statusText).toBe('Conflict');
    expect(reply.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      vary: 'Accept',
      'x-openstack-request-id': REQUEST_ID,
    });
    expect(JSON.parse(reply.body!)).toEqual({
      conflictingRequest: { code: 409, message: 'Image with identifier x already exists!', requestId: REQUEST_ID },
    });
  });

  it('renders a 415 as problem details and as text, with its extra headers in lower case', () => {
    const fault = hostFault(415, 'Unsupported Content-Type.', {
      headers: { 'Accept-Patch': 'application/openstack-images-v2.1-json-patch' },
    });
    const problem = renderFault(fault, 'problem', REQUEST_ID);
    expect(problem.headers['accept-patch']).toBe('application/openstack-images-v2.1-json-patch');
    expect(JSON.parse(problem.body!)).toEqual({
      type: 'about:blank',
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'Unsupported Content-Type.',
      fault: 'badMediaType',
      requestId: REQUEST_ID,
    });
    expect(renderFault(fault, 'text', REQUEST_ID).body).toBe('415 Unsupported Media Type\n\nUnsupported Content-Type.');
  });

  it('sends retryAfterSeconds as a whole-second Retry-After and in the body', () => {
    const fault = hostFault(503, 'The image store is temporarily unavailable. Please retry later.', { retryAfterSeconds: 2.1 });
    expect(fault.headers['retry-after']).toBe('3');
    expect(JSON.parse(renderFault(fault, 'json', REQUEST_ID).body!)).toMatchObject({ serviceUnavailable: { code: 503, retryAfter: 3 } });
  });

  it('gives the same fault as toFault where both apply', () => {
    const unauthorized = toFault({ kind: 'Unauthorized' });
    expect(hostFault(401, unauthorized.message, { headers: unauthorized.headers })).toEqual(unauthorized);
  });
});
