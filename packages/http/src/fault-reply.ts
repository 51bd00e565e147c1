// Renders a fault as a reply in the negotiated format, stamped with the request id.
import { isoTime } from '@image-catalog/core';
import type { FaultFormat } from './content-negotiation.js';
import type { Fault, HostFault } from './fault.js';
import type { ImagesReply } from './images-request.js';
import { REQUEST_ID_HEADER } from './request-id.js';

export const CONTENT_TYPES = {
  json: 'application/json; charset=utf-8',
  problem: 'application/problem+json',
  text: 'text/plain; charset=utf-8',
} as const satisfies Record<FaultFormat, string>;

/**
 * What a fault body needs. Every `Fault` is one; hosts rendering their own statuses (409, 415,
 * ...) in the same three formats pass any status, name and reason.
 */
export type FaultBody = Pick<Fault, 'message' | 'retryAfterSeconds' | 'retryAt'> & {
  readonly status: number;
  readonly name: string;
  readonly reason: string;
};

/** The facts every format carries; `retryAfter`/`retryAt` only when the fault has them. */
function facts(fault: FaultBody): { retryAfter?: number; retryAt?: string } {
  return {
    ...(fault.retryAfterSeconds !== undefined ? { retryAfter: fault.retryAfterSeconds } : {}),
    ...(fault.retryAt !== undefined ? { retryAt: isoTime(fault.retryAt) } : {}),
  };
}

export function renderFaultBody(fault: FaultBody, format: FaultFormat, requestId: string): string {
  switch (format) {
    case 'json':
      return JSON.stringify({ [fault.name]: { code: fault.status, message: fault.message, requestId, ...facts(fault) } });
    case 'problem':
      // RFC 9457 with `about:blank`: the title is the reason phrase; `fault` keeps the OpenStack name.
      return JSON.stringify({
        type: 'about:blank',
        title: fault.reason,
        status: fault.status,
        detail: fault.message,
        fault: fault.name,
        requestId,
        ...facts(fault),
      });
    case 'text':
      return `${fault.status} ${fault.reason}\n\n${fault.message}`;
    default: {
      const unknown: never = format;
      return unknown;
    }
  }
}

/** The reply for a pipeline fault (`toFault`) or a host route's (`hostFault`). */
export function renderFault(fault: Fault | HostFault, format: FaultFormat, requestId: string): ImagesReply {
  return {
    status: fault.status,
    statusText: fault.reason,
    headers: {
      ...fault.headers,
      'content-type': CONTENT_TYPES[format],
      // The body depends on Accept; caches must not hand one client's format to another.
      vary: 'Accept',
      [REQUEST_ID_HEADER]: requestId,
    },
    body: renderFaultBody(fault, format, requestId),
  };
}
