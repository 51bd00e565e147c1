// The 400 fault for a request no route can serve because of how it was framed, and how to write it on a bare socket.
import type { Duplex } from 'node:stream';
import { negotiateFaultFormat } from '../content-negotiation.js';
import { toFault } from '../fault.js';
import { renderFault } from '../fault-reply.js';
import type { MalformedRequest } from '../http-failures.js';
import type { ImagesReply } from '../images-request.js';
import { REQUEST_ID_HEADER, requestIdFor } from '../request-id.js';

/** The request's own headers when they were parsed (`Accept`, `x-openstack-request-id`); without them the answer is JSON with a fresh id. */
export interface ParsedHeaders {
  readonly accept?: string | string[] | undefined;
  readonly [REQUEST_ID_HEADER]?: string | string[] | undefined;
}

function single(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * A `badRequest` fault in the format `Accept` asks for, with the caller's request id when it
 * has the expected form, and `Connection: close`: after a framing error the connection is not
 * trusted with another request.
 */
export function malformedRequestReply(reason: MalformedRequest['reason'], headers: ParsedHeaders = {}): ImagesReply {
  let format = negotiateFaultFormat(null);
  try {
    format = negotiateFaultFormat(single(headers.accept));
  } catch {
    // An Accept the negotiation cannot read gets the default format.
  }
  const reply = renderFault(toFault({ kind: 'MalformedRequest', reason }), format, requestIdFor(single(headers[REQUEST_ID_HEADER])));
  return { ...reply, headers: { ...reply.headers, connection: 'close' } };
}

/** How long a socket answered here may wait for its client to close before it is destroyed. */
const LINGER_MS = 5_000;

/**
 * Writes `reply` as an HTTP/1.1 response on a socket node:http no longer manages, then ends it.
 * Without `withBody` (a HEAD, or a request whose method is unknown) it sends the headers with
 * `Content-Length: 0` and no content headers, so a client that sent HEAD stays in step.
 */
export function endSocketWithReply(socket: Duplex, reply: ImagesReply, withBody: boolean): void {
  const body = withBody ? (reply.body ?? '') : '';
  const headers: Record<string, string> = { ...reply.headers, connection: 'close', 'content-length': String(Buffer.byteLength(body)) };
  if (body === '') {
    delete headers['content-type'];
    delete headers.vary;
  }
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${reply.status} ${reply.statusText}\r\n${head}\r\n${body}`);
  // node:http's servers allow half-open sockets: one whose client never closes its side must not linger.
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref?.();
  socket.once('close', () => clearTimeout(linger));
}
