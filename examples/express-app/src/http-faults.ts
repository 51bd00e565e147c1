// Faults for the example's own endpoints, in the same negotiated formats and names as the DELETE pipeline.
import { CONTENT_TYPES, negotiateFaultFormat, renderFaultBody, REQUEST_ID_HEADER, requestIdFor, type FaultFormat } from '@image-catalog/http';
import type { Request, Response } from 'express';

/** OpenStack fault names (Nova/Glance wire format) for the statuses these endpoints use. */
const FAULT_NAMES: Readonly<Record<number, readonly [name: string, reason: string]>> = {
  400: ['badRequest', 'Bad Request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['itemNotFound', 'Not Found'],
  405: ['badMethod', 'Method Not Allowed'],
  409: ['conflictingRequest', 'Conflict'],
  413: ['overLimit', 'Over Limit'],
  415: ['badMediaType', 'Unsupported Media Type'],
  500: ['apiFault', 'Internal Server Error'],
  503: ['serviceUnavailable', 'Service Unavailable'],
};

/**
 * The request id of this exchange: an incoming `req-<uuid>` is kept, anything else replaced.
 * The header is rewritten on the request too, so the DELETE pipeline further down keeps the same id.
 */
export function ensureRequestId(req: Request, res: Response): string {
  const existing = res.getHeader(REQUEST_ID_HEADER);
  if (typeof existing === 'string') return existing;
  const id = requestIdFor(req.headers[REQUEST_ID_HEADER] as string | undefined);
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

export function sendFault(req: Request, res: Response, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const [name, reason] = FAULT_NAMES[status] ?? FAULT_NAMES[500]!;
  const requestId = ensureRequestId(req, res);
  const retryAfter = headers['Retry-After'] ?? headers['retry-after'];
  let format: FaultFormat = 'json';
  try {
    format = negotiateFaultFormat(req.headers.accept);
  } catch {
    // An unreadable Accept gets the default format.
  }
  const body = renderFaultBody({ status, name, reason, message, ...(retryAfter !== undefined ? { retryAfterSeconds: Number(retryAfter) } : {}) }, format, requestId);
  res.status(status).set(headers).set('Vary', 'Accept').set('Content-Type', CONTENT_TYPES[format]).send(body);
}
