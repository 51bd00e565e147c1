// Writes a pipeline reply to a node:http (or Express) response.
import type { ServerResponse } from 'node:http';
import type { ImagesReply } from '../images-request.js';

/** Does nothing when the client is gone or something else already answered. */
export function writeNodeReply(res: ServerResponse, reply: ImagesReply): void {
  if (res.headersSent || res.writableEnded || res.destroyed) return;
  res.statusCode = reply.status;
  res.statusMessage = reply.statusText;
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  if (reply.body === null) {
    res.end();
    return;
  }
  const bytes = Buffer.from(reply.body, 'utf8');
  res.setHeader('content-length', bytes.byteLength);
  res.end(bytes);
}
