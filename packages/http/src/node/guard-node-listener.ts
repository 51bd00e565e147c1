// Wraps a node:http request listener with what node leaves to it: one Host per HTTP/1.1 request, and a connection's requests in order.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connectionQueueOf, isSafeMethod } from './connection-queue.js';
import { malformedRequestReply } from './malformed-request-reply.js';
import { writeNodeReply } from './node-reply.js';

/** How many `Host` field lines the request carried. */
function hostLines(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]?.toLowerCase() === 'host') count++;
  return count;
}

/** RFC 9112 §3.2: an HTTP/1.1 request needs exactly one Host (it may be empty); an HTTP/1.0 one may have none. */
function hasValidHost(req: IncomingMessage): boolean {
  const count = hostLines(req.rawHeaders);
  if (count > 1) return false;
  return count === 1 || req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor === 0);
}

/** Requests a guard has already queued. */
const guarded = new WeakSet<IncomingMessage>();

/** Connections whose last answer closes them: requests pipelined behind it are never run. */
const closing = new WeakSet<object>();

/** Calls `done` once the response is sent or its connection is gone, whichever comes first. */
function whenFinished(res: ServerResponse, socket: object, done: () => void): void {
  const finished = () => {
    // Node closes the connection after this answer (Connection: close, HTTP/1.0, a fault that closes).
    if (!res.shouldKeepAlive || /\bclose\b/i.test(String(res.getHeader('connection') ?? ''))) closing.add(socket);
    done();
  };
  if (res.writableFinished || res.destroyed) {
    finished();
    return;
  }
  res.once('finish', finished);
  res.once('close', finished);
}

/**
 * Wraps `listener` (a `createNodeListener`, an Express app, any `(req, res)` listener; what
 * `createNodeListener` returns is already wrapped) with two things node:http leaves to it:
 *
 * - **Host.** An HTTP/1.1 request without a `Host` header, or with several, gets a 400
 *   `badRequest` fault (negotiated, with its request id) and `Connection: close`. Node answers a
 *   missing Host itself with a bare 400 unless the server is created with
 *   `{ requireHostHeader: false }`; pass that so this answer is the one sent.
 * - **Order on a connection.** Node hands pipelined requests to the listener as soon as it has
 *   parsed them, so a `GET` sent after a `DELETE` on the same connection could run, and see the
 *   image, before the delete commits. Here a request with a method that is not safe (anything
 *   but GET, HEAD, OPTIONS, TRACE) starts only after every earlier request of its connection has
 *   been answered, and later requests start only after it has been answered. Safe requests
 *   between two unsafe ones may still overlap. A request's body waits, unread, for its turn.
 */
export function guardNodeListener(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    // Guarded twice (an outer guard around a createNodeListener): the outer one already holds its turn.
    if (guarded.has(req)) {
      listener(req, res);
      return;
    }
    guarded.add(req);
    const socket = req.socket;
    const valid = hasValidHost(req);
    connectionQueueOf(socket).run(
      !valid || !isSafeMethod(req.method),
      (done) => {
        // The connection closes (or closed) before this request's turn: its answer could never be sent, so it does not run.
        if (closing.has(socket) || socket.destroyed) {
          done();
          return;
        }
        whenFinished(res, socket, done);
        if (valid) listener(req, res);
        else writeNodeReply(res, malformedRequestReply('InvalidHost', req.headers));
      },
      req,
    );
  };
}
