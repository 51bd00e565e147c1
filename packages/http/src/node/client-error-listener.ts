// Answers requests node:http cannot even parse (huge headers, bad request lines) with a 400 fault, never a body for HEAD.
import type { Duplex } from 'node:stream';
import { existingConnectionQueue } from './connection-queue.js';
import { endSocketWithReply, malformedRequestReply } from './malformed-request-reply.js';

/** What node's parser attaches to a `clientError`: the buffer it was parsing and where it stopped. */
type ParseError = Error & { readonly code?: string; readonly rawPacket?: unknown; readonly bytesParsed?: unknown };

/** A method token at the start of a request line. */
const REQUEST_LINE_START = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) /;

/**
 * The method of the request the parser failed on, when the buffer shows where that request
 * starts: its beginning, or just after the blank line ending an earlier request's head. `null`
 * when the request began in an earlier packet (only its tail is here): then the caller cannot
 * rule out HEAD. An earlier request's body containing a blank line can mislead this; it only
 * decides whether the 400 carries a body.
 */
function methodOfFailedRequest(error: ParseError): string | null {
  const raw = error.rawPacket;
  if (!(raw instanceof Uint8Array)) return null;
  const parsed = typeof error.bytesParsed === 'number' ? Math.min(error.bytesParsed, raw.byteLength) : raw.byteLength;
  const text = Buffer.from(raw.buffer, raw.byteOffset, parsed).toString('latin1');
  const blank = text.lastIndexOf('\r\n\r\n');
  const start = blank === -1 ? 0 : blank + 4;
  return REQUEST_LINE_START.exec(text.slice(start, start + 64))?.[1] ?? null;
}

/**
 * For `server.on('clientError', ...)`. Node's default answers 431 or a bare 400; this keeps such
 * requests within the documented codes, with a JSON `badRequest` fault and a request id
 * (headers were not parsed, so nothing is negotiated). A HEAD gets the headers without a body,
 * and so does a request whose method cannot be seen (it may have been a HEAD), so a keep-alive
 * client never reads a body it did not expect. Responses still owed to earlier requests on the
 * connection (pipelined, under `guardNodeListener`) go out first. Timeouts and resets just close.
 */
export function createClientErrorListener(): (error: Error & { code?: string }, socket: Duplex) => void {
  const answered = new WeakSet<Duplex>();
  return (error: ParseError, socket) => {
    if (!socket.writable || typeof error.code !== 'string' || !error.code.startsWith('HPE_')) {
      socket.destroy();
      return;
    }
    // The parser may report the same broken connection again while its answer waits its turn.
    if (answered.has(socket)) return;
    answered.add(socket);
    const reply = malformedRequestReply(error.code === 'HPE_HEADER_OVERFLOW' ? 'HeadersTooLarge' : 'Unparseable');
    const method = methodOfFailedRequest(error);
    const answer = () => {
      if (socket.writable) endSocketWithReply(socket, reply, method !== null && method !== 'HEAD');
      else socket.destroy();
    };
    const queue = existingConnectionQueue(socket);
    // A request of this connection not received in full: the framing broke inside it, and its
    // body will never end, so waiting for it would hang. Answer now, as node itself would.
    if (queue === null || queue.hasIncompleteRequest()) answer();
    else
      queue.run(true, (done) => {
        answer();
        done();
      });
  };
}
