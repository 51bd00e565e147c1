// Decides whether a DELETE carries a body, without ever reading more than one chunk of it.

/** A stream of only empty chunks this long is refused rather than waited on. */
const MAX_EMPTY_CHUNKS = 64;

/**
 * `Content-Length` answers directly (anything but a plain `0` counts as content, so a
 * malformed length is refused too); without it the body itself is probed.
 */
export async function hasBodyContent(contentLength: string | null, probe: () => Promise<boolean>): Promise<boolean> {
  if (contentLength !== null) return !/^\s*0+\s*$/.test(contentLength);
  return probe();
}

/** Reads a Fetch body until its first byte (or its end), then cancels the rest unread. */
export async function webStreamHasContent(body: ReadableStream<Uint8Array> | null): Promise<boolean> {
  if (body === null) return false;
  const reader = body.getReader();
  try {
    for (let i = 0; i < MAX_EMPTY_CHUNKS; i++) {
      const { done, value } = await reader.read();
      if (done) return false;
      if (value === undefined || value === null) continue;
      if (typeof value.byteLength !== 'number' || value.byteLength > 0) return true;
    }
    return true;
  } finally {
    reader.cancel().catch(() => undefined);
  }
}
