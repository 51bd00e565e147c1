// One request log: every request the service answers, fixture routes and DELETE alike, gets exactly one log line, under the id it answered with.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, createImageOverHttp, startInProcessService, type InProcessService } from './test-support/in-process-service.js';

const MEMBER = 'demo-member-token';

let svc: InProcessService;
beforeAll(async () => {
  svc = await startInProcessService();
});
afterAll(async () => {
  await svc?.close();
});

interface LogLine {
  readonly requestId?: string;
  readonly route?: string;
  readonly status?: number;
  readonly userId?: string | null;
  readonly method?: string;
}

/** Sends a request with a fresh `req-<uuid>`; answers the status and every log line carrying that id. */
async function send(path: string, init: RequestInit = {}): Promise<{ status: number; lines: LogLine[] }> {
  const requestId = `req-${globalThis.crypto.randomUUID()}`;
  const res = await fetch(`${svc.url}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), 'X-OpenStack-Request-ID': requestId },
  });
  await res.arrayBuffer();
  expect(res.headers.get('x-openstack-request-id')).toBe(requestId);
  // The line is written when the response finishes, which may be just after the client has it.
  for (let i = 0; i < 100 && !svc.logs.some((e) => (e.obj as LogLine).requestId === requestId); i++)
    await new Promise((r) => setTimeout(r, 10));
  return { status: res.status, lines: svc.logs.map((e) => e.obj as LogLine).filter((line) => line.requestId === requestId) };
}

describe('the request log', () => {
  it('writes exactly one line per request, with the route template, status and caller, whoever answered it', async () => {
    const { id } = await createImageOverHttp(svc.api, MEMBER);
    const cases: readonly (readonly [string, RequestInit, number, string])[] = [
      ['/versions', {}, 200, '/versions'],
      ['/v2/schemas/image', {}, 200, '/v2/schemas/{name}'],
      ['/v2/images', { headers: authHeaders(MEMBER) }, 200, '/v2/images'],
      [`/v2/images/${id}`, { headers: authHeaders(MEMBER) }, 200, '/v2/images/{image_id}'],
      [`/v2/images/${id}/file`, { method: 'GET', headers: authHeaders(MEMBER) }, 405, '/v2/images/{image_id}/file'],
      ['/v2/images', {}, 401, '/v2/images'],
      ['/nowhere', {}, 404, 'unmatched'],
      // The DELETE pipeline's own line, not a second one from the app.
      [`/v2/images/${id}`, { method: 'OPTIONS' }, 204, '/v2/images/{image_id}'],
      [`/v2/images/${id}`, { method: 'DELETE', headers: authHeaders(MEMBER) }, 204, '/v2/images/{image_id}'],
    ];
    for (const [path, init, status, route] of cases) {
      const sent = await send(path, init);
      expect(sent.status, `${init.method ?? 'GET'} ${path}`).toBe(status);
      expect(sent.lines, `${init.method ?? 'GET'} ${path}`).toEqual([expect.objectContaining({ route, status })]);
    }
    const shown = await send(`/v2/images/${id}`, { headers: authHeaders(MEMBER) });
    expect(shown.lines).toEqual([expect.objectContaining({ status: 404, userId: 'demo-alice', method: 'GET' })]);
  });
});
