// Serves an images handler from node:http: `http.createServer(createNodeListener(handler))`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ImagesHandler } from '../images-handler.js';
import { guardNodeListener } from './guard-node-listener.js';
import { fromNodeRequest } from './node-request.js';
import { writeNodeReply } from './node-reply.js';

export interface NodeListenerOptions {
  /** Gets every request the handler does not serve; without it they get a 404 fault. */
  readonly fallback?: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * A `request` listener that runs the handler's pipeline on the node request directly, so
 * methods and targets a Fetch `Request` would refuse (TRACE, absolute-form, `*`) still get a
 * documented answer, and a body is never buffered. The handler's `identify`, if any, receives
 * node's `IncomingMessage` (e.g. for `req.socket.getPeerCertificate()` behind mTLS).
 *
 * It is guarded (`guardNodeListener`): a connection's requests that may change state run in
 * order, and an HTTP/1.1 request without exactly one Host gets a 400 fault (create the server
 * with `{ requireHostHeader: false }`, or node answers a missing Host itself).
 */
export function createNodeListener(
  handler: ImagesHandler<IncomingMessage>,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const { fallback } = options;
  return guardNodeListener((req, res) => {
    if (fallback && !handler.matches(req.url ?? '')) {
      fallback(req, res);
      return;
    }
    handler
      .handle(fromNodeRequest(req), req)
      .then((reply) => writeNodeReply(res, reply))
      // `handle` never rejects; if writing itself failed there is nothing left to tell the client.
      .catch(() => res.destroy());
  });
}
