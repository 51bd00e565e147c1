// The HTTP conformance suite's body part: a DELETE with a body is 400; an empty body is fine.
import { describe, expect, it } from 'vitest';
import { expectJsonFault } from '../fault-assertions.js';
import { rawHttpRequest } from '../raw-http-request.js';
import type { HttpConformanceFactory } from './conformance-target.js';
import { describeHttpConformanceParts, type ConformancePart } from './http-conformance-suite.js';

const BODY_MESSAGE = 'A body is not expected with this request.';

/** A body stream of the given chunks, sent with `Transfer-Encoding: chunked`. */
function chunked(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

/** `5. request body (400)`: bodies by length, chunked and streamed, refused; empty ones accepted; the body checked before the id. */
export const bodyPart: ConformancePart = (c) => {
  const { request, rawPath, hostHeader, expectDeleted, expectNotDeleted } = c;
  describe('5. request body (400)', () => {
    it('refuses a body with Content-Length, and deletes nothing', async () => {
      const id = await c.target.createImage({});
      const res = await request(id, {
        token: c.target.tokens.ownerMember,
        body: '{"force": true}',
        headers: { 'Content-Type': 'application/json' },
      });
      const fault = await expectJsonFault(res, 400, 'badRequest');
      expect(fault.message).toBe(BODY_MESSAGE);
      await expectNotDeleted(id);
    });

    it('refuses a chunked body carrying bytes, and deletes nothing', async () => {
      const id = await c.target.createImage({});
      const res = await request(id, { token: c.target.tokens.ownerMember, body: chunked('', 'x'), duplex: 'half' } as RequestInit & {
        token: string;
      });
      const fault = await expectJsonFault(res, 400, 'badRequest');
      expect(fault.message).toBe(BODY_MESSAGE);
      await expectNotDeleted(id);
    });

    it('refuses a chunked body on the wire', async () => {
      const id = await c.target.createImage({});
      const res = await rawHttpRequest(
        c.base,
        `DELETE ${rawPath(id)} HTTP/1.1\r\nHost: ${hostHeader()}\r\nX-Auth-Token: ${c.target.tokens.ownerMember}\r\n` +
          `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
      );
      expect(res.status).toBe(400);
      expect(res.body).toContain(BODY_MESSAGE);
      await expectNotDeleted(id);
    });

    it('refuses a large body without waiting for all of it', async () => {
      const id = await c.target.createImage({});
      const res = await request(id, { token: c.target.tokens.ownerMember, body: new Uint8Array(4 << 20) });
      await expectJsonFault(res, 400, 'badRequest');
      await expectNotDeleted(id);
    });

    it('accepts Content-Length: 0', async () => {
      const id = await c.target.createImage({});
      const res = await rawHttpRequest(
        c.base,
        `DELETE ${rawPath(id)} HTTP/1.1\r\nHost: ${hostHeader()}\r\nX-Auth-Token: ${c.target.tokens.ownerMember}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      expect(res.status).toBe(204);
      await expectDeleted(id);
    });

    it('accepts an empty chunked body', async () => {
      const id = await c.target.createImage({});
      const res = await rawHttpRequest(
        c.base,
        `DELETE ${rawPath(id)} HTTP/1.1\r\nHost: ${hostHeader()}\r\nX-Auth-Token: ${c.target.tokens.ownerMember}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
      );
      expect(res.status).toBe(204);
      await expectDeleted(id);
    });

    it('accepts an empty fetch body stream', async () => {
      const id = await c.target.createImage({});
      const res = await request(id, { token: c.target.tokens.ownerMember, body: chunked(), duplex: 'half' } as RequestInit & {
        token: string;
      });
      expect(res.status).toBe(204);
    });

    it('checks the body before the id', async () => {
      const fault = await expectJsonFault(await request('not-an-id', { token: c.target.tokens.ownerMember, body: 'x' }), 400, 'badRequest');
      expect(fault.message).toBe(BODY_MESSAGE);
    });
  });
};

/** Runs only the body part of the HTTP conformance suite, against its own target. */
export function describeHttpConformanceBody(name: string, factory: HttpConformanceFactory): void {
  describeHttpConformanceParts(name, factory, [bodyPart]);
}
