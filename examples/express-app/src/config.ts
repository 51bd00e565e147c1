// Reads the example service's settings from the environment (behaviour.md §11), refusing bad values clearly.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AMQP_BODY_FORMATS, AMQP_PUBLISHER_DEFAULTS, type AmqpBodyFormat } from '@image-catalog/amqp';
import type { Principal } from '@image-catalog/core';
import type { ImageQuotas } from '@image-catalog/core/authoring';
import { parseRateLimit } from '@image-catalog/http';
import { DEFAULT_IMAGE_SIZE_CAP_BYTES } from './fixtures/glance-fixture-router.js';

export interface RateLimitSetting {
  readonly limit: number;
  readonly windowSeconds: number;
  /** 413 (Rackspace "Over Limit", the default) or 429. */
  readonly status: 413 | 429;
}

/** Where `image.delete` events go on RabbitMQ (`IMAGE_CATALOG_AMQP_*`). */
export interface AmqpSetting {
  /** `amqp://` or `amqps://` URL of the broker; it may hold a password, so it is never printed. */
  readonly url: string;
  /** Topic exchange (default `glance`, as Glance). */
  readonly exchange: string;
  /** Routing key of every event (default `notifications.info`, as Glance). */
  readonly routingKey: string;
  /** `oslo` (oslo.messaging notification envelope, the default) or `event` (the outbox event as JSON). */
  readonly format: AmqpBodyFormat;
}

export interface ServiceConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databasePath: string;
  readonly imagesDir: string;
  readonly tokens: ReadonlyMap<string, Principal>;
  /** True when no tokens file was given and the demo tokens are in use. */
  readonly demoTokens: boolean;
  readonly rateLimit: RateLimitSetting | null;
  readonly delayedDelete: { readonly delaySeconds: number } | null;
  readonly scrubIntervalSeconds: number;
  /** JSON-lines file of delivered events; used when `amqp` is not set. */
  readonly eventsFile: string | null;
  /** RabbitMQ publisher; takes precedence over `eventsFile`. Neither: events stay in the outbox. */
  readonly amqp: AmqpSetting | null;
  readonly databaseUrl: string | null;
  /** SQLite durable mode: every commit fsynced (`synchronous=FULL`), concurrent deletes group-committed. */
  readonly durable: boolean;
  /** Apply pending schema migrations at start (default); off, a schema that is not current stops the start. */
  readonly migrate: boolean;
  readonly logLevel: string;
  /** How long the inline data deletion owns a delete's jobs before the scrubber may retry them. */
  readonly inlineLeaseSeconds: number;
  /** How long the scrubber owns the jobs it claimed; after a crash they are retried once it runs out. */
  readonly scrubLeaseSeconds: number;
  /** How long the outbox relay owns the events it claimed; after a crash they are delivered again once it runs out. */
  readonly relayLeaseSeconds: number;
  /** How long graceful shutdown waits for in-flight requests before closing anyway. */
  readonly shutdownGraceSeconds: number;
  /** Largest image data an upload may carry (Glance's `image_size_cap`); more is 413. */
  readonly imageSizeCapBytes: number;
  /**
   * Per-project quotas (Glance's `image_count_total`, `image_size_total` in bytes); an absent one
   * is no limit. Over one, a create or an upload is 413.
   */
  readonly quotas: ImageQuotas;
  /** Upload temp files not modified for this long are a crash's leftovers, swept at start and with every scrubber interval. */
  readonly tempFileGraceSeconds: number;
}

/** A setting that cannot be used; the message names the variable and what is expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEMO_TOKENS: Readonly<Record<string, Principal>> = {
  'demo-admin-token': { userId: 'demo-admin', projectId: 'admin-project', roles: ['admin', 'member', 'reader'] },
  'demo-member-token': { userId: 'demo-alice', projectId: 'demo-project', roles: ['member', 'reader'] },
  'demo-reader-token': { userId: 'demo-bob', projectId: 'demo-project', roles: ['reader'] },
  'demo-other-token': { userId: 'demo-carol', projectId: 'other-project', roles: ['member', 'reader'] },
};

type Env = Readonly<Record<string, string | undefined>>;

/** A whole number from `min` to `max`, or `undefined` when the variable is unset or empty. */
function optionalInteger(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(`${name} must be from ${min} to ${max}, got ${value}`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  return optionalInteger(env, name, min, max) ?? fallback;
}

/** `IMAGE_CATALOG_IMAGE_COUNT_TOTAL` and `IMAGE_CATALOG_IMAGE_SIZE_TOTAL` (bytes): each unset for no limit, else from 0. */
export function quotasSetting(env: Env): ImageQuotas {
  const imageCountTotal = optionalInteger(env, 'IMAGE_CATALOG_IMAGE_COUNT_TOTAL', 0, Number.MAX_SAFE_INTEGER);
  const imageSizeTotal = optionalInteger(env, 'IMAGE_CATALOG_IMAGE_SIZE_TOTAL', 0, Number.MAX_SAFE_INTEGER);
  return {
    ...(imageCountTotal === undefined ? {} : { imageCountTotal }),
    ...(imageSizeTotal === undefined ? {} : { imageSizeTotal }),
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** pino's levels; anything else would make the logger throw at start-up instead of naming the setting. */
function logLevel(raw: string | undefined): string {
  const level = raw?.trim().toLowerCase() || 'info';
  if (!LOG_LEVELS.includes(level))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify((raw ?? '').slice(0, 32))}`);
  return level;
}

/** An on/off setting: `1`/`true` on, `0`/`false` off, unset `fallback` (off unless said), anything else refused. */
function flag(env: Env, name: string, fallback = false): boolean {
  const raw = env[name]?.trim() ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(raw)) {
    throw new ConfigError(`${name} must be 1 or 0, got ${JSON.stringify(raw.slice(0, 32))}`);
  }
  return raw === '' ? fallback : raw === '1' || raw === 'true';
}

const AMQP_DETAILS = ['IMAGE_CATALOG_AMQP_EXCHANGE', 'IMAGE_CATALOG_AMQP_ROUTING_KEY', 'IMAGE_CATALOG_AMQP_FORMAT'] as const;

/** An exchange or routing key: an AMQP short string, at most 255 bytes. */
function amqpName(env: Env, name: (typeof AMQP_DETAILS)[number], fallback: string): string {
  const value = env[name]?.trim() || fallback;
  if (Buffer.byteLength(value, 'utf8') > 255) throw new ConfigError(`${name} must be at most 255 bytes long`);
  return value;
}

/** `IMAGE_CATALOG_AMQP_URL` and its details; the details without the URL are refused rather than ignored. */
export function amqpSetting(env: Env): AmqpSetting | null {
  const url = env.IMAGE_CATALOG_AMQP_URL?.trim() ?? '';
  if (url === '') {
    const stray = AMQP_DETAILS.find((name) => env[name]?.trim());
    if (stray !== undefined) throw new ConfigError(`${stray} is set but IMAGE_CATALOG_AMQP_URL is not (the RabbitMQ to publish events to)`);
    return null;
  }
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // Reported below without quoting the value, which may hold a password.
  }
  if (parsed === null || (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') || parsed.hostname === '') {
    throw new ConfigError('IMAGE_CATALOG_AMQP_URL must be an amqp:// or amqps:// URL, e.g. amqp://guest:guest@127.0.0.1:5672');
  }
  const exchange = amqpName(env, 'IMAGE_CATALOG_AMQP_EXCHANGE', AMQP_PUBLISHER_DEFAULTS.exchange);
  if (exchange.startsWith('amq.'))
    throw new ConfigError(
      `IMAGE_CATALOG_AMQP_EXCHANGE: the broker reserves amq.* exchanges; name one of your own (default ${AMQP_PUBLISHER_DEFAULTS.exchange})`,
    );
  const format = env.IMAGE_CATALOG_AMQP_FORMAT?.trim() || AMQP_PUBLISHER_DEFAULTS.format;
  if (!(AMQP_BODY_FORMATS as readonly string[]).includes(format)) {
    throw new ConfigError(
      `IMAGE_CATALOG_AMQP_FORMAT must be one of ${AMQP_BODY_FORMATS.join(', ')}, got ${JSON.stringify(format.slice(0, 32))}`,
    );
  }
  return {
    url,
    exchange,
    routingKey: amqpName(env, 'IMAGE_CATALOG_AMQP_ROUTING_KEY', AMQP_PUBLISHER_DEFAULTS.routingKey),
    format: format as AmqpBodyFormat,
  };
}

/** `<count>/<seconds>`, e.g. `100/60`, with the status to answer when over it. */
export function rateLimitSetting(raw: string, status: 413 | 429 = 413): RateLimitSetting {
  const spec = parseRateLimit(raw);
  if (spec === null) {
    throw new ConfigError(
      `IMAGE_CATALOG_RATE_LIMIT must be <count>/<seconds> with both at least 1, e.g. 100/60; got ${JSON.stringify(raw.slice(0, 64))}`,
    );
  }
  return { ...spec, status };
}

/** Reads and validates a tokens file: `{ "<token>": { "userId", "projectId", "roles": [...] } }`. */
export function loadTokens(file: string): Map<string, Principal> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`IMAGE_CATALOG_TOKENS: cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text around the error, which would print part of a token: say only that it is not JSON.
    throw new ConfigError(`IMAGE_CATALOG_TOKENS: ${file} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('IMAGE_CATALOG_TOKENS: the file must hold an object keyed by token');
  }
  const tokens = new Map<string, Principal>();
  for (const [token, value] of Object.entries(parsed)) {
    const v = value as Record<string, unknown> | null;
    const where = `IMAGE_CATALOG_TOKENS: entry ${tokens.size + 1}`;
    if (token.length < 8) throw new ConfigError(`${where}: a token must be at least 8 characters`);
    if (v === null || typeof v !== 'object') throw new ConfigError(`${where}: must be an object`);
    if (typeof v.userId !== 'string' || v.userId === '') throw new ConfigError(`${where}: userId must be a non-empty string`);
    if (v.projectId !== null && (typeof v.projectId !== 'string' || v.projectId === '')) {
      throw new ConfigError(`${where}: projectId must be a non-empty string or null`);
    }
    if (!Array.isArray(v.roles) || !v.roles.every((r) => typeof r === 'string')) {
      throw new ConfigError(`${where}: roles must be an array of strings`);
    }
    tokens.set(token, { userId: v.userId, projectId: v.projectId as string | null, roles: [...(v.roles as string[])] });
  }
  if (tokens.size === 0) throw new ConfigError('IMAGE_CATALOG_TOKENS: the file holds no tokens');
  return tokens;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): ServiceConfig {
  const dataDir = path.resolve(cwd, env.IMAGE_CATALOG_DATA_DIR?.trim() || './data');
  const tokensFile = env.IMAGE_CATALOG_TOKENS?.trim();
  const tokens = tokensFile ? loadTokens(path.resolve(cwd, tokensFile)) : new Map(Object.entries(DEMO_TOKENS));

  const statusRaw = env.IMAGE_CATALOG_RATE_LIMIT_STATUS?.trim();
  if (statusRaw && statusRaw !== '413' && statusRaw !== '429') {
    throw new ConfigError(`IMAGE_CATALOG_RATE_LIMIT_STATUS must be 413 or 429, got ${JSON.stringify(statusRaw)}`);
  }
  const rateRaw = env.IMAGE_CATALOG_RATE_LIMIT?.trim();
  const rateLimit = rateRaw && rateRaw !== 'off' ? rateLimitSetting(rateRaw, statusRaw === '429' ? 429 : 413) : null;

  const delayed = flag(env, 'IMAGE_CATALOG_DELAYED_DELETE');

  const databaseUrl = env.DATABASE_URL?.trim() || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL (leave it unset for the embedded SQLite database)');
  }

  return {
    port: integer(env, 'PORT', 8080, 0, 65_535),
    host: env.HOST?.trim() || '127.0.0.1',
    dataDir,
    databasePath: path.join(dataDir, 'images.db'),
    imagesDir: path.join(dataDir, 'images'),
    tokens,
    demoTokens: !tokensFile,
    rateLimit,
    delayedDelete: delayed ? { delaySeconds: integer(env, 'IMAGE_CATALOG_SCRUB_DELAY', 300, 0, 86_400 * 365) } : null,
    scrubIntervalSeconds: integer(env, 'IMAGE_CATALOG_SCRUB_INTERVAL', 30, 1, 86_400),
    eventsFile: env.IMAGE_CATALOG_EVENTS_FILE?.trim() ? path.resolve(cwd, env.IMAGE_CATALOG_EVENTS_FILE.trim()) : null,
    amqp: amqpSetting(env),
    databaseUrl,
    durable: flag(env, 'IMAGE_CATALOG_DURABLE'),
    migrate: flag(env, 'IMAGE_CATALOG_MIGRATE', true),
    logLevel: logLevel(env.LOG_LEVEL),
    inlineLeaseSeconds: integer(env, 'IMAGE_CATALOG_INLINE_LEASE', 60, 1, 86_400),
    scrubLeaseSeconds: integer(env, 'IMAGE_CATALOG_SCRUB_LEASE', 300, 1, 86_400),
    relayLeaseSeconds: integer(env, 'IMAGE_CATALOG_RELAY_LEASE', 60, 1, 86_400),
    shutdownGraceSeconds: integer(env, 'IMAGE_CATALOG_SHUTDOWN_GRACE', 10, 0, 600),
    imageSizeCapBytes: integer(env, 'IMAGE_CATALOG_IMAGE_SIZE_CAP', DEFAULT_IMAGE_SIZE_CAP_BYTES, 1, Number.MAX_SAFE_INTEGER),
    quotas: quotasSetting(env),
    // Longer than a whole upload may take (the server's request timeout is 300 s), so no live upload's file goes.
    tempFileGraceSeconds: integer(env, 'IMAGE_CATALOG_TEMP_FILE_GRACE', 900, 0, 86_400 * 7),
  };
}
