// The transport-neutral request and reply the pipeline works on; Fetch, node:http and Express convert to them.

/**
 * What the pipeline needs from a request. Framework adapters build it straight from their own
 * request object, so they need no Fetch `Request` (which refuses some methods and URLs a
 * client can still send) and no body buffering.
 */
export interface ImagesRequest {
  readonly method: string;
  /** The request target's path, still percent-encoded, without query or fragment. */
  readonly path: string;
  /** A header's value (several values joined by `, `), or `null`. `name` is lower case. */
  header(name: string): string | null;
  /**
   * Resolves `true` when the body carries at least one byte. Reads at most one chunk and lets
   * the rest be discarded, so a huge body is never buffered. Only called when no
   * `Content-Length` header already answers the question.
   */
  bodyHasContent(): Promise<boolean>;
  /**
   * Where a framework mounted the handler (Express's `req.baseUrl`, e.g. `/v2`), so the
   * request log names the full route. Routing itself never depends on it.
   */
  readonly mountPath?: string;
}

/** A complete, small response: the pipeline never streams. */
export interface ImagesReply {
  readonly status: number;
  readonly statusText: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** `null` for 204. */
  readonly body: string | null;
}

/** The path of a request target: `/a/b?q` → `/a/b`; an absolute URL → its path; garbage → `''`. */
export function pathOfTarget(target: string): string {
  if (target.startsWith('/')) {
    const end = target.search(/[?#]/);
    return end === -1 ? target : target.slice(0, end);
  }
  try {
    return new URL(target).pathname;
  } catch {
    return '';
  }
}
