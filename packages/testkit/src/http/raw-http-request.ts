// A minimal HTTP/1.1 client over a socket, for requests `fetch` would normalise or refuse to send.
import { connect } from 'node:net';

export interface RawHttpResponse {
  /** `null` when the server closed the connection without an answer. */
  readonly status: number | null;
  /** Lower-case names; the last value wins. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Never waits longer than this for a server that neither answers nor closes. */
const SOCKET_TIMEOUT_MS = 10_000;
/** Responses are small faults; more than this is not read. */
const MAX_RESPONSE_BYTES = 1 << 20;

/** Interim (1xx) responses before the final one, e.g. `100 Continue` after `Expect: 100-continue`. */
const INTERIM = /^HTTP\/1\.[01] 1\d\d[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n/;

function parse(received: Buffer): RawHttpResponse & { readonly bodyBytes: number } {
  let raw = received;
  for (let m = INTERIM.exec(raw.toString('latin1')); m !== null; m = INTERIM.exec(raw.toString('latin1'))) raw = raw.subarray(m[0].length);
  const text = raw.toString('latin1');
  const headerEnd = text.indexOf('\r\n\r\n');
  const head = headerEnd === -1 ? text : text.slice(0, headerEnd);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  // latin1 maps bytes one to one, so the text offset is the byte offset.
  const bodyBytes = headerEnd === -1 ? raw.subarray(0, 0) : raw.subarray(headerEnd + 4);
  return {
    status: match && headerEnd !== -1 ? Number(match[1]) : null,
    headers,
    body: bodyBytes.toString('utf8'),
    bodyBytes: bodyBytes.length,
  };
}

/**
 * Sends `request` (a complete HTTP/1.1 message, `Connection: close` advised) to `baseUrl`'s host
 * and reads until the server closes or the declared body has arrived. A connection reset after
 * the server answered still yields that answer.
 */
export function rawHttpRequest(baseUrl: string, request: string | Uint8Array): Promise<RawHttpResponse> {
  const url = new URL(baseUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    const finish = () => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const { status, headers, body } = parse(Buffer.concat(chunks));
      resolve({ status, headers, body });
    };
    socket.setTimeout(SOCKET_TIMEOUT_MS, finish);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const soFar = parse(Buffer.concat(chunks));
      const declared = soFar.headers['content-length'];
      const complete = soFar.status !== null && (soFar.status === 204 || (declared !== undefined && soFar.bodyBytes >= Number(declared)));
      if (complete || size > MAX_RESPONSE_BYTES) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
    socket.write(request);
  });
}
