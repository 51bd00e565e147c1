// What every part of the HTTP conformance suite talks through: the running target, requests to its image path, and the checks they share.
import { afterAll, beforeAll, expect } from 'vitest';
import { expectJsonFault } from '../fault-assertions.js';
import type { HttpConformanceFactory, HttpConformanceTarget } from './conformance-target.js';

/** The suite's view of the target. `target` and `base` exist only inside a test (after `beforeAll`). */
export interface ConformanceClient {
  readonly target: HttpConformanceTarget;
  /** The target's base URL without a trailing slash. */
  readonly base: string;
  /** The URL of `/images/{segment}`. */
  url(segment: string): string;
  /** A fresh UUID no image has. */
  unknownId(): string;
  /** Whether the deployment serves `method` itself on the image path (HEAD comes with GET). */
  hostServes(method: string): boolean;
  /** A method the image path refuses with 405. */
  refusedMethod(): string;
  /** A DELETE (unless `init.method` says otherwise) of `/images/{segment}`, with `token` as X-Auth-Token. */
  request(segment: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /** The path of the images route below the base URL, for raw requests. */
  rawPath(segment: string): string;
  /** The Host header of the base URL. */
  hostHeader(): string;
  /** Proves `id` is gone: deleting it again answers 404. */
  expectDeleted(id: string, token?: string): Promise<void>;
  /** Proves `id` is still there: an admin can delete it (204). */
  expectNotDeleted(id: string): Promise<void>;
}

/** Starts the target once for the current describe (`beforeAll`) and stops it after (`afterAll`). */
export function useConformanceTarget(factory: HttpConformanceFactory): ConformanceClient {
  let started: HttpConformanceTarget | undefined;
  let base = '';

  beforeAll(async () => {
    started = await factory();
    base = started.baseUrl.replace(/\/+$/, '');
  });
  afterAll(async () => {
    await started?.close();
  });

  const target = (): HttpConformanceTarget => {
    if (started === undefined) throw new Error('the conformance target only exists inside a test');
    return started;
  };
  const url = (segment: string) => `${base}/images/${segment}`;
  const unknownId = () => globalThis.crypto.randomUUID();
  /** Methods the deployment serves itself on the image path (HEAD comes with GET). */
  const hostServes = (method: string) => {
    const served = (target().hostMethods ?? []).map((m) => m.toUpperCase());
    return served.includes(method) || (method === 'HEAD' && served.includes('GET'));
  };
  /** A method the image path refuses with 405. */
  const refusedMethod = () => ['GET', 'PUT', 'POST', 'PATCH'].find((m) => !hostServes(m)) ?? 'TRACE';

  function request(segment: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
    const { token, headers, ...rest } = init;
    const h = new Headers(headers);
    if (token !== null && token !== undefined) h.set('X-Auth-Token', token);
    return fetch(url(segment), { method: 'DELETE', ...rest, headers: h });
  }

  /** The path of the images route below the base URL, for raw requests. */
  const rawPath = (segment: string) => `${new URL(base).pathname.replace(/\/+$/, '')}/images/${segment}`;
  const hostHeader = () => new URL(base).host;

  async function expectDeleted(id: string, token = target().tokens.admin): Promise<void> {
    const again = await request(id, { token });
    await expectJsonFault(again, 404, 'itemNotFound');
  }

  async function expectNotDeleted(id: string): Promise<void> {
    const res = await request(id, { token: target().tokens.admin });
    expect(res.status).toBe(204);
  }

  return {
    get target() {
      return target();
    },
    get base() {
      return base;
    },
    url,
    unknownId,
    hostServes,
    refusedMethod,
    request,
    rawPath,
    hostHeader,
    expectDeleted,
    expectNotDeleted,
  };
}
