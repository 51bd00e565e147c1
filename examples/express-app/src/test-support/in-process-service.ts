// Runs the example service in the test process (startService on 127.0.0.1:0, SQLite in a temp folder) for its tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger, Principal } from '@image-catalog/core';
import { type ImageCatalog } from '@image-catalog/core/authoring';
import { loadConfig, type ServiceConfig } from '../config.js';
import { startService, type RunningService, type ServiceOverrides } from '../service.js';

/** One log call, as the service made it. */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string | undefined;
}

export interface InProcessService {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `<url>/v2` */
  readonly api: string;
  readonly dataDir: string;
  readonly config: ServiceConfig;
  readonly service: RunningService;
  /** The service's own storage's authoring port, for states the API cannot produce (e.g. status `saving`). */
  readonly catalog: ImageCatalog;
  /** Everything the service logged so far. */
  readonly logs: LogEntry[];
  /** Stops the service (graceful, delivering pending events) and keeps its data folder. */
  stop(): Promise<void>;
  /** Stops the service and removes its data folder. */
  close(): Promise<void>;
}

export interface InProcessServiceOptions {
  /** Extra settings, as environment variables (behaviour.md §11). */
  readonly env?: Readonly<Record<string, string>>;
  /** Tokens instead of the demo tokens. */
  readonly tokens?: Readonly<Record<string, Principal>>;
  /** Append delivered events to `<dataDir>/events.jsonl` (IMAGE_CATALOG_EVENTS_FILE). */
  readonly eventsFile?: boolean;
  /** Replacements for what the settings would build, e.g. a data store with injected faults. */
  readonly overrides?: ServiceOverrides;
}

/** Starts the example service exactly as `main.ts` does, with settings from `env` and a fresh data folder. */
export async function startInProcessService(options: InProcessServiceOptions = {}): Promise<InProcessService> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'image-catalog-example-'));
  const logs: LogEntry[] = [];
  const record =
    (level: LogEntry['level']) =>
    (obj: object, msg?: string): void => {
      logs.push({ level, obj, msg });
    };
  const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  try {
    const loaded = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      IMAGE_CATALOG_DATA_DIR: dataDir,
      ...(options.eventsFile ? { IMAGE_CATALOG_EVENTS_FILE: path.join(dataDir, 'events.jsonl') } : {}),
      ...options.env,
    });
    const config: ServiceConfig = options.tokens
      ? { ...loaded, tokens: new Map(Object.entries(options.tokens)), demoTokens: false }
      : loaded;
    const service = await startService(config, logger, options.overrides);
    let stopped: Promise<void> | null = null;
    const stop = () =>
      (stopped ??= (async () => {
        service.server.closeIdleConnections();
        await service.stop();
      })());
    return {
      url: service.url,
      api: `${service.url}/v2`,
      dataDir,
      config,
      service,
      catalog: service.storage.catalog,
      logs,
      stop,
      async close() {
        await stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Headers of a JSON request with a token. */
export function authHeaders(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'X-Auth-Token': token, ...extra };
}

/** `POST /v2/images` with `body`; fails the test unless the answer is 201. Returns the image JSON. */
export async function createImageOverHttp(
  api: string,
  token: string,
  body: Record<string, unknown> = {},
): Promise<Record<string, unknown> & { id: string }> {
  const res = await fetch(`${api}/images`, {
    method: 'POST',
    headers: authHeaders(token, { 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /v2/images answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown> & { id: string };
}

/** `PATCH /v2/images/{id}` with a JSON patch of `replace` operations. */
export function patchImage(api: string, token: string, id: string, changes: Record<string, unknown>): Promise<Response> {
  const ops = Object.entries(changes).map(([key, value]) => ({ op: 'replace', path: `/${key}`, value }));
  return fetch(`${api}/images/${id}`, {
    method: 'PATCH',
    headers: authHeaders(token, { 'Content-Type': 'application/openstack-images-v2.1-json-patch' }),
    body: JSON.stringify(ops),
  });
}

export function deleteImage(api: string, token: string, id: string): Promise<Response> {
  return fetch(`${api}/images/${id}`, { method: 'DELETE', headers: authHeaders(token) });
}
