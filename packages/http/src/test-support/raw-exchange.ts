// One raw connection carrying several requests (pipelined or in pieces), read back as the sequence of responses a strict client would see.
import { connect } from 'node:net';

export interface ExchangedResponse {
  readonly status: number;
  /** Lower-case names; the last value wins. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Exchange {
  readonly responses: readonly ExchangedResponse[];
  /** Bytes after the last expected response: anything here would desynchronise a keep-alive client. */
  readonly trailing: string;
  /** The server closed the connection (rather than the exchange timing out). */
  readonly closed: boolean;
}

/** Never waits longer than this for a server that neither answers nor closes. */
const TIMEOUT_MS = 5_000;

/** Reads one response from `raw` at `offset`; `null` when it is not complete yet. */
function readResponse(raw: Buffer, offset: number, method: string): { response: ExchangedResponse; end: number } | null {
  const text = raw.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n', offset);
  if (headEnd === -1) return null;
  const [statusLine = '', ...lines] = text.slice(offset, headEnd).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const bodyStart = headEnd + 4;
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { response: { status, headers, body: '' }, end: bodyStart };
  }
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    let at = bodyStart;
    const chunks: Buffer[] = [];
    // Bounded by the buffer: every pass consumes a chunk header and its data.
    for (;;) {
      const lineEnd = text.indexOf('\r\n', at);
      if (lineEnd === -1) return null;
      const size = Number.parseInt(text.slice(at, lineEnd), 16);
      if (size === 0) {
        const trailerEnd = text.indexOf('\r\n', lineEnd + 2);
        if (trailerEnd === -1) return null;
        return { response: { status, headers, body: Buffer.concat(chunks).toString('utf8') }, end: trailerEnd + 2 };
      }
      if (raw.length < lineEnd + 2 + size + 2) return null;
      chunks.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  // Without a length the body runs to the end of the connection (HTTP/1.0 style).
  const length = headers['content-length'] === undefined ? raw.length - bodyStart : Number(headers['content-length']);
  if (raw.length < bodyStart + length) return null;
  return { response: { status, headers, body: raw.subarray(bodyStart, bodyStart + length).toString('utf8') }, end: bodyStart + length };
}

/**
 * Connects to `origin`, writes `parts` one after the other (a pause between them, so each may
 * arrive as its own packet), and reads until the server closes or `TIMEOUT_MS` passes. The
 * responses are parsed in order as answers to requests of `methods` (HEAD responses have no
 * body), then whatever is left is `trailing`.
 */
export function rawExchange(origin: string, parts: readonly (string | Uint8Array)[], methods: readonly string[]): Promise<Exchange> {
  const url = new URL(origin);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const timer = setTimeout(() => socket.destroy(), TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      closed = true;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      const responses: ExchangedResponse[] = [];
      let offset = 0;
      for (const method of methods) {
        const read = readResponse(raw, offset, method);
        if (read === null) break;
        responses.push(read.response);
        offset = read.end;
      }
      resolve({ responses, trailing: raw.subarray(offset).toString('latin1'), closed });
    });
    socket.on('connect', async () => {
      for (const [index, part] of parts.entries()) {
        if (index > 0) await new Promise((next) => setTimeout(next, 20));
        if (!socket.writable) return;
        socket.write(part);
      }
    });
  });
}
