// Answers requests node:http cannot even parse (huge headers, bad request lines) with a 400 fault.
import type { Duplex } from 'node:stream';
import { toFault } from '../fault.js';
import { renderFault } from '../fault-reply.js';
import { newRequestId } from '../request-id.js';

/**
 * For `server.on('clientError', ...)`. Node's default answers 431 or a bare 400; this keeps such
 * requests within the documented codes, with a JSON `badRequest` fault and a request id
 * (headers were not parsed, so nothing is negotiated). Timeouts and resets just close.
 */
export function createClientErrorListener(): (error: Error & { code?: string }, socket: Duplex) => void {
  return (error, socket) => {
    if (!socket.writable || typeof error.code !== 'string' || !error.code.startsWith('HPE_')) {
      socket.destroy();
      return;
    }
    const reason = error.code === 'HPE_HEADER_OVERFLOW' ? 'HeadersTooLarge' : 'Unparseable';
    const reply = renderFault(toFault({ kind: 'MalformedRequest', reason }), 'json', newRequestId());
    const body = reply.body ?? '';
    const headers = Object.entries({ ...reply.headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(`HTTP/1.1 ${reply.status} ${reply.statusText}\r\n${headers}\r\n${body}`);
  };
}
