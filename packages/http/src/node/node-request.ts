// Builds the pipeline's request straight from a node:http (or Express) request: no Fetch objects, no buffering.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pathOfTarget, type ImagesRequest } from '../images-request.js';

/**
 * Waits for the first chunk (or the end) of a request body, then lets the rest drain unread:
 * flowing mode with no `data` listener discards it, and the connection stays usable.
 * An aborted or failed stream counts as content, so no delete runs for a broken request.
 */
export function readableHasContent(stream: Readable): Promise<boolean> {
  if (stream.readableEnded) return Promise.resolve(false);
  if (stream.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (content: boolean) => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onBroken);
      stream.off('close', onBroken);
      stream.resume();
      resolve(content);
    };
    const onReadable = () => {
      // Bounded: each read() takes a buffered chunk, and the buffer is finite.
      for (let chunk: unknown = stream.read(); chunk !== null; chunk = stream.read()) {
        if (typeof chunk === 'string' ? chunk.length > 0 : (chunk as Uint8Array).byteLength > 0) return settle(true);
      }
    };
    const onEnd = () => settle(false);
    const onBroken = () => settle(true);
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onBroken);
    stream.once('close', onBroken);
  });
}

function headerOf(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * `target` is the request target the route is matched against: `req.url` for a plain server,
 * the path below the mount point for a framework router, which passes that mount point as
 * `mountPath` for the request log.
 */
export function fromNodeRequest(req: IncomingMessage, target: string = req.url ?? '', mountPath?: string): ImagesRequest {
  return {
    method: req.method ?? '',
    path: pathOfTarget(target),
    header: (name) => headerOf(req, name),
    bodyHasContent: () => readableHasContent(req),
    mountPath,
  };
}
