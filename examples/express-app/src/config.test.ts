// The example service's settings (behaviour.md §11): every variable parsed, every bad value refused with a message naming it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEMO_TOKENS, loadConfig, loadTokens } from './config.js';

const CWD = path.join(tmpdir(), 'image-catalog-config-cwd');
const dir = mkdtempSync(path.join(tmpdir(), 'image-catalog-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a tokens file and returns its path. */
function tokensFile(content: unknown): string {
  const file = path.join(dir, `tokens-${globalThis.crypto.randomUUID()}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, CWD);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig: defaults', () => {
  it('needs nothing: port 8080 on 127.0.0.1, ./data with images.db and images/, demo tokens, no rate limit, immediate delete', () => {
    const config = loadConfig({}, CWD);
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: path.join(CWD, 'data'),
      databasePath: path.join(CWD, 'data', 'images.db'),
      imagesDir: path.join(CWD, 'data', 'images'),
      demoTokens: true,
      rateLimit: null,
      delayedDelete: null,
      eventsFile: null,
      amqp: null,
      databaseUrl: null,
      migrate: true,
      durable: false,
      logLevel: 'info',
      scrubIntervalSeconds: 30,
      inlineLeaseSeconds: 60,
      shutdownGraceSeconds: 10,
      imageSizeCapBytes: 1_099_511_627_776,
      quotas: {},
      tempFileGraceSeconds: 900,
    });
    expect(Object.fromEntries(config.tokens)).toEqual(DEMO_TOKENS);
  });

  it('treats empty and blank values as unset', () => {
    const blank = loadConfig(
      {
        PORT: '',
        HOST: ' ',
        IMAGE_CATALOG_DATA_DIR: '',
        IMAGE_CATALOG_TOKENS: '',
        IMAGE_CATALOG_RATE_LIMIT: '',
        IMAGE_CATALOG_DELAYED_DELETE: '',
        DATABASE_URL: '',
      },
      CWD,
    );
    expect(blank).toEqual(loadConfig({}, CWD));
  });
});

describe('loadConfig: every setting', () => {
  it('PORT and HOST', () => {
    expect(loadConfig({ PORT: '0', HOST: '0.0.0.0' }, CWD)).toMatchObject({ port: 0, host: '0.0.0.0' });
    expect(loadConfig({ PORT: ' 65535 ' }, CWD).port).toBe(65_535);
  });

  it('IMAGE_CATALOG_DATA_DIR, relative to the working folder or absolute', () => {
    expect(loadConfig({ IMAGE_CATALOG_DATA_DIR: 'var/catalog' }, CWD)).toMatchObject({
      dataDir: path.join(CWD, 'var', 'catalog'),
      databasePath: path.join(CWD, 'var', 'catalog', 'images.db'),
      imagesDir: path.join(CWD, 'var', 'catalog', 'images'),
    });
    expect(loadConfig({ IMAGE_CATALOG_DATA_DIR: dir }, CWD).dataDir).toBe(dir);
  });

  it('IMAGE_CATALOG_TOKENS: a JSON file of token → principal replaces the demo tokens', () => {
    const file = tokensFile({
      'operator-token-0001': { userId: 'ops', projectId: 'ops-project', roles: ['admin'] },
      'service-token-0002': { userId: 'svc', projectId: null, roles: [] },
    });
    const config = loadConfig({ IMAGE_CATALOG_TOKENS: path.relative(CWD, file) }, CWD);
    expect(config.demoTokens).toBe(false);
    expect(Object.fromEntries(config.tokens)).toEqual({
      'operator-token-0001': { userId: 'ops', projectId: 'ops-project', roles: ['admin'] },
      'service-token-0002': { userId: 'svc', projectId: null, roles: [] },
    });
    expect(config.tokens.has('demo-admin-token')).toBe(false);
  });

  it('IMAGE_CATALOG_RATE_LIMIT as <count>/<seconds>, answering 413 or (IMAGE_CATALOG_RATE_LIMIT_STATUS) 429; "off" is off', () => {
    expect(loadConfig({ IMAGE_CATALOG_RATE_LIMIT: '100/60' }, CWD).rateLimit).toEqual({ limit: 100, windowSeconds: 60, status: 413 });
    expect(loadConfig({ IMAGE_CATALOG_RATE_LIMIT: ' 5 / 1 ', IMAGE_CATALOG_RATE_LIMIT_STATUS: '429' }, CWD).rateLimit).toEqual({
      limit: 5,
      windowSeconds: 1,
      status: 429,
    });
    expect(loadConfig({ IMAGE_CATALOG_RATE_LIMIT: '5/1', IMAGE_CATALOG_RATE_LIMIT_STATUS: '413' }, CWD).rateLimit?.status).toBe(413);
    expect(loadConfig({ IMAGE_CATALOG_RATE_LIMIT: 'off' }, CWD).rateLimit).toBeNull();
  });

  it('IMAGE_CATALOG_DELAYED_DELETE with IMAGE_CATALOG_SCRUB_DELAY (default 300 s)', () => {
    expect(loadConfig({ IMAGE_CATALOG_DELAYED_DELETE: '1' }, CWD).delayedDelete).toEqual({ delaySeconds: 300 });
    expect(loadConfig({ IMAGE_CATALOG_DELAYED_DELETE: 'true', IMAGE_CATALOG_SCRUB_DELAY: '0' }, CWD).delayedDelete).toEqual({
      delaySeconds: 0,
    });
    expect(loadConfig({ IMAGE_CATALOG_DELAYED_DELETE: '1', IMAGE_CATALOG_SCRUB_DELAY: '3600' }, CWD).delayedDelete).toEqual({
      delaySeconds: 3600,
    });
    expect(loadConfig({ IMAGE_CATALOG_DELAYED_DELETE: '0', IMAGE_CATALOG_SCRUB_DELAY: '3600' }, CWD).delayedDelete).toBeNull();
    expect(loadConfig({ IMAGE_CATALOG_DELAYED_DELETE: 'false' }, CWD).delayedDelete).toBeNull();
  });

  it('IMAGE_CATALOG_EVENTS_FILE, relative to the working folder', () => {
    expect(loadConfig({ IMAGE_CATALOG_EVENTS_FILE: 'events/delete.jsonl' }, CWD).eventsFile).toBe(path.join(CWD, 'events', 'delete.jsonl'));
  });

  it('IMAGE_CATALOG_AMQP_URL: events to RabbitMQ, by default as Glance sends them (glance exchange, notifications.info, oslo envelope)', () => {
    const url = 'amqp://guest:guest@127.0.0.1:5672';
    expect(loadConfig({ IMAGE_CATALOG_AMQP_URL: ` ${url} ` }, CWD).amqp).toEqual({
      url,
      exchange: 'glance',
      routingKey: 'notifications.info',
      format: 'oslo',
    });
    expect(loadConfig({ IMAGE_CATALOG_AMQP_URL: 'amqps://broker.example/prod' }, CWD).amqp?.url).toBe('amqps://broker.example/prod');
  });

  it('IMAGE_CATALOG_AMQP_EXCHANGE, IMAGE_CATALOG_AMQP_ROUTING_KEY and IMAGE_CATALOG_AMQP_FORMAT (oslo or event)', () => {
    const env = {
      IMAGE_CATALOG_AMQP_URL: 'amqp://127.0.0.1',
      IMAGE_CATALOG_AMQP_EXCHANGE: 'openstack',
      IMAGE_CATALOG_AMQP_ROUTING_KEY: 'notifications.image',
      IMAGE_CATALOG_AMQP_FORMAT: 'event',
    };
    expect(loadConfig(env, CWD).amqp).toEqual({
      url: 'amqp://127.0.0.1',
      exchange: 'openstack',
      routingKey: 'notifications.image',
      format: 'event',
    });
    expect(loadConfig({ ...env, IMAGE_CATALOG_AMQP_FORMAT: 'oslo' }, CWD).amqp?.format).toBe('oslo');
  });

  it('IMAGE_CATALOG_AMQP_URL and IMAGE_CATALOG_EVENTS_FILE together: both kept, RabbitMQ is the one used (see service)', () => {
    const config = loadConfig({ IMAGE_CATALOG_AMQP_URL: 'amqp://127.0.0.1', IMAGE_CATALOG_EVENTS_FILE: 'events.jsonl' }, CWD);
    expect([config.amqp?.url, config.eventsFile]).toEqual(['amqp://127.0.0.1', path.join(CWD, 'events.jsonl')]);
  });

  it('IMAGE_CATALOG_DURABLE: 1 selects durable SQLite (FULL sync, group commit); anything but 0/1 is refused', () => {
    expect(loadConfig({ IMAGE_CATALOG_DURABLE: '1' }, CWD).durable).toBe(true);
    expect(loadConfig({ IMAGE_CATALOG_DURABLE: '0' }, CWD).durable).toBe(false);
    expect(() => loadConfig({ IMAGE_CATALOG_DURABLE: 'yes' }, CWD)).toThrow(/IMAGE_CATALOG_DURABLE must be 1 or 0/);
  });

  it('IMAGE_CATALOG_MIGRATE: on unless 0, so a deploy step can own the migrations', () => {
    expect(loadConfig({}, CWD).migrate).toBe(true);
    expect(loadConfig({ IMAGE_CATALOG_MIGRATE: '1' }, CWD).migrate).toBe(true);
    expect(loadConfig({ IMAGE_CATALOG_MIGRATE: '0' }, CWD).migrate).toBe(false);
    expect(() => loadConfig({ IMAGE_CATALOG_MIGRATE: 'never' }, CWD)).toThrow(/IMAGE_CATALOG_MIGRATE must be 1 or 0/);
  });

  it('DATABASE_URL: a postgres:// or postgresql:// URL selects PostgreSQL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/images' }, CWD).databaseUrl).toBe('postgres://u:p@db:5432/images');
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/images' }, CWD).databaseUrl).toBe('postgresql://db/images');
  });

  it('IMAGE_CATALOG_MIGRATE: on unless 0 (then the PostgreSQL schema is only checked); anything but 0/1 is refused', () => {
    expect(loadConfig({ IMAGE_CATALOG_MIGRATE: '0' }, CWD).migrate).toBe(false);
    expect(loadConfig({ IMAGE_CATALOG_MIGRATE: '1' }, CWD).migrate).toBe(true);
    expect(() => loadConfig({ IMAGE_CATALOG_MIGRATE: 'no' }, CWD)).toThrow(/IMAGE_CATALOG_MIGRATE must be 1 or 0/);
  });

  it('LOG_LEVEL, IMAGE_CATALOG_SCRUB_INTERVAL, IMAGE_CATALOG_INLINE_LEASE, IMAGE_CATALOG_SHUTDOWN_GRACE', () => {
    expect(
      loadConfig(
        { LOG_LEVEL: 'debug', IMAGE_CATALOG_SCRUB_INTERVAL: '5', IMAGE_CATALOG_INLINE_LEASE: '120', IMAGE_CATALOG_SHUTDOWN_GRACE: '0' },
        CWD,
      ),
    ).toMatchObject({ logLevel: 'debug', scrubIntervalSeconds: 5, inlineLeaseSeconds: 120, shutdownGraceSeconds: 0 });
    expect(loadConfig({ LOG_LEVEL: 'WARN' }, CWD).logLevel).toBe('warn');
  });

  it('IMAGE_CATALOG_IMAGE_SIZE_CAP: bytes an upload may carry, from 1 up to 2^53 - 1', () => {
    expect(loadConfig({ IMAGE_CATALOG_IMAGE_SIZE_CAP: '1024' }, CWD).imageSizeCapBytes).toBe(1024);
    expect(loadConfig({ IMAGE_CATALOG_IMAGE_SIZE_CAP: String(Number.MAX_SAFE_INTEGER) }, CWD).imageSizeCapBytes).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('IMAGE_CATALOG_IMAGE_COUNT_TOTAL and IMAGE_CATALOG_IMAGE_SIZE_TOTAL (bytes): per-project quotas from 0 up to 2^53 - 1; unset or blank is no limit', () => {
    expect(loadConfig({ IMAGE_CATALOG_IMAGE_COUNT_TOTAL: '100' }, CWD).quotas).toEqual({ imageCountTotal: 100 });
    expect(loadConfig({ IMAGE_CATALOG_IMAGE_SIZE_TOTAL: ' 1073741824 ' }, CWD).quotas).toEqual({ imageSizeTotal: 1_073_741_824 });
    expect(
      loadConfig({ IMAGE_CATALOG_IMAGE_COUNT_TOTAL: '0', IMAGE_CATALOG_IMAGE_SIZE_TOTAL: String(Number.MAX_SAFE_INTEGER) }, CWD).quotas,
    ).toEqual({ imageCountTotal: 0, imageSizeTotal: Number.MAX_SAFE_INTEGER });
    expect(loadConfig({ IMAGE_CATALOG_IMAGE_COUNT_TOTAL: '', IMAGE_CATALOG_IMAGE_SIZE_TOTAL: ' ' }, CWD).quotas).toEqual({});
  });

  it('IMAGE_CATALOG_TEMP_FILE_GRACE: seconds before an untouched upload temp file counts as a crash leftover (0 to a week)', () => {
    expect(loadConfig({ IMAGE_CATALOG_TEMP_FILE_GRACE: '0' }, CWD).tempFileGraceSeconds).toBe(0);
    expect(loadConfig({ IMAGE_CATALOG_TEMP_FILE_GRACE: '3600' }, CWD).tempFileGraceSeconds).toBe(3600);
  });
});

describe('loadConfig: bad values are a ConfigError naming the setting', () => {
  it.each([
    ['PORT=abc', { PORT: 'abc' }, /^PORT must be a whole number from 0 to 65535, got "abc"$/],
    ['PORT=70000', { PORT: '70000' }, /^PORT must be from 0 to 65535, got 70000$/],
    ['PORT=-1', { PORT: '-1' }, /^PORT must be a whole number/],
    ['PORT=80.5', { PORT: '80.5' }, /^PORT must be a whole number/],
    ['PORT=0x50', { PORT: '0x50' }, /^PORT must be a whole number/],
    ['IMAGE_CATALOG_RATE_LIMIT=10', { IMAGE_CATALOG_RATE_LIMIT: '10' }, /^IMAGE_CATALOG_RATE_LIMIT must be <count>\/<seconds> .*got "10"$/],
    ['IMAGE_CATALOG_RATE_LIMIT=0/60', { IMAGE_CATALOG_RATE_LIMIT: '0/60' }, /^IMAGE_CATALOG_RATE_LIMIT must be/],
    ['IMAGE_CATALOG_RATE_LIMIT=10/0', { IMAGE_CATALOG_RATE_LIMIT: '10/0' }, /^IMAGE_CATALOG_RATE_LIMIT must be/],
    ['IMAGE_CATALOG_RATE_LIMIT=ten/minute', { IMAGE_CATALOG_RATE_LIMIT: 'ten/minute' }, /^IMAGE_CATALOG_RATE_LIMIT must be/],
    ['IMAGE_CATALOG_RATE_LIMIT=1.5/60', { IMAGE_CATALOG_RATE_LIMIT: '1.5/60' }, /^IMAGE_CATALOG_RATE_LIMIT must be/],
    [
      'IMAGE_CATALOG_RATE_LIMIT_STATUS=500',
      { IMAGE_CATALOG_RATE_LIMIT: '1/1', IMAGE_CATALOG_RATE_LIMIT_STATUS: '500' },
      /^IMAGE_CATALOG_RATE_LIMIT_STATUS must be 413 or 429/,
    ],
    ['IMAGE_CATALOG_DELAYED_DELETE=yes', { IMAGE_CATALOG_DELAYED_DELETE: 'yes' }, /^IMAGE_CATALOG_DELAYED_DELETE must be 1 or 0/],
    [
      'IMAGE_CATALOG_SCRUB_DELAY=-5',
      { IMAGE_CATALOG_DELAYED_DELETE: '1', IMAGE_CATALOG_SCRUB_DELAY: '-5' },
      /^IMAGE_CATALOG_SCRUB_DELAY must be a whole number/,
    ],
    ['IMAGE_CATALOG_SCRUB_INTERVAL=0', { IMAGE_CATALOG_SCRUB_INTERVAL: '0' }, /^IMAGE_CATALOG_SCRUB_INTERVAL must be from 1/],
    ['IMAGE_CATALOG_INLINE_LEASE=soon', { IMAGE_CATALOG_INLINE_LEASE: 'soon' }, /^IMAGE_CATALOG_INLINE_LEASE must be a whole number/],
    ['IMAGE_CATALOG_SHUTDOWN_GRACE=601', { IMAGE_CATALOG_SHUTDOWN_GRACE: '601' }, /^IMAGE_CATALOG_SHUTDOWN_GRACE must be from 0 to 600/],
    [
      'IMAGE_CATALOG_IMAGE_SIZE_CAP=0',
      { IMAGE_CATALOG_IMAGE_SIZE_CAP: '0' },
      /^IMAGE_CATALOG_IMAGE_SIZE_CAP must be from 1 to 9007199254740991, got 0$/,
    ],
    ['IMAGE_CATALOG_IMAGE_SIZE_CAP=1G', { IMAGE_CATALOG_IMAGE_SIZE_CAP: '1G' }, /^IMAGE_CATALOG_IMAGE_SIZE_CAP must be a whole number/],
    [
      'IMAGE_CATALOG_IMAGE_SIZE_CAP=2^60',
      { IMAGE_CATALOG_IMAGE_SIZE_CAP: '1152921504606846976' },
      /^IMAGE_CATALOG_IMAGE_SIZE_CAP must be from 1 to/,
    ],
    [
      'IMAGE_CATALOG_TEMP_FILE_GRACE=604801',
      { IMAGE_CATALOG_TEMP_FILE_GRACE: '604801' },
      /^IMAGE_CATALOG_TEMP_FILE_GRACE must be from 0 to 604800, got 604801$/,
    ],
    [
      'IMAGE_CATALOG_TEMP_FILE_GRACE=15m',
      { IMAGE_CATALOG_TEMP_FILE_GRACE: '15m' },
      /^IMAGE_CATALOG_TEMP_FILE_GRACE must be a whole number/,
    ],
    [
      'IMAGE_CATALOG_IMAGE_COUNT_TOTAL=-1',
      { IMAGE_CATALOG_IMAGE_COUNT_TOTAL: '-1' },
      /^IMAGE_CATALOG_IMAGE_COUNT_TOTAL must be a whole number from 0 to 9007199254740991, got "-1"$/,
    ],
    [
      'IMAGE_CATALOG_IMAGE_COUNT_TOTAL=unlimited',
      { IMAGE_CATALOG_IMAGE_COUNT_TOTAL: 'unlimited' },
      /^IMAGE_CATALOG_IMAGE_COUNT_TOTAL must be a whole number/,
    ],
    [
      'IMAGE_CATALOG_IMAGE_SIZE_TOTAL=10GiB',
      { IMAGE_CATALOG_IMAGE_SIZE_TOTAL: '10GiB' },
      /^IMAGE_CATALOG_IMAGE_SIZE_TOTAL must be a whole number/,
    ],
    [
      'IMAGE_CATALOG_IMAGE_SIZE_TOTAL=2^60',
      { IMAGE_CATALOG_IMAGE_SIZE_TOTAL: '1152921504606846976' },
      /^IMAGE_CATALOG_IMAGE_SIZE_TOTAL must be from 0 to 9007199254740991, got /,
    ],
    ['DATABASE_URL=mysql://...', { DATABASE_URL: 'mysql://db/images' }, /^DATABASE_URL must be a postgres:\/\/ URL/],
    ['LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/],
    [
      'IMAGE_CATALOG_AMQP_URL=http://...',
      { IMAGE_CATALOG_AMQP_URL: 'http://guest:guest@127.0.0.1:5672' },
      /^IMAGE_CATALOG_AMQP_URL must be an amqp:\/\/ or amqps:\/\/ URL/,
    ],
    [
      'IMAGE_CATALOG_AMQP_URL=rabbit',
      { IMAGE_CATALOG_AMQP_URL: 'rabbit' },
      /^IMAGE_CATALOG_AMQP_URL must be an amqp:\/\/ or amqps:\/\/ URL/,
    ],
    [
      'IMAGE_CATALOG_AMQP_URL=amqp://',
      { IMAGE_CATALOG_AMQP_URL: 'amqp://' },
      /^IMAGE_CATALOG_AMQP_URL must be an amqp:\/\/ or amqps:\/\/ URL/,
    ],
    [
      'IMAGE_CATALOG_AMQP_EXCHANGE=amq.topic',
      { IMAGE_CATALOG_AMQP_URL: 'amqp://127.0.0.1', IMAGE_CATALOG_AMQP_EXCHANGE: 'amq.topic' },
      /^IMAGE_CATALOG_AMQP_EXCHANGE: the broker reserves amq\.\* exchanges/,
    ],
    [
      'IMAGE_CATALOG_AMQP_EXCHANGE of 256 bytes',
      { IMAGE_CATALOG_AMQP_URL: 'amqp://127.0.0.1', IMAGE_CATALOG_AMQP_EXCHANGE: 'é'.repeat(128) },
      /^IMAGE_CATALOG_AMQP_EXCHANGE must be at most 255 bytes long$/,
    ],
    [
      'IMAGE_CATALOG_AMQP_ROUTING_KEY of 256 bytes',
      { IMAGE_CATALOG_AMQP_URL: 'amqp://127.0.0.1', IMAGE_CATALOG_AMQP_ROUTING_KEY: 'k'.repeat(256) },
      /^IMAGE_CATALOG_AMQP_ROUTING_KEY must be at most 255 bytes long$/,
    ],
    [
      'IMAGE_CATALOG_AMQP_FORMAT=xml',
      { IMAGE_CATALOG_AMQP_URL: 'amqp://127.0.0.1', IMAGE_CATALOG_AMQP_FORMAT: 'xml' },
      /^IMAGE_CATALOG_AMQP_FORMAT must be one of (oslo, event|event, oslo), got "xml"$/,
    ],
    [
      'IMAGE_CATALOG_AMQP_EXCHANGE without a URL',
      { IMAGE_CATALOG_AMQP_EXCHANGE: 'glance' },
      /^IMAGE_CATALOG_AMQP_EXCHANGE is set but IMAGE_CATALOG_AMQP_URL is not/,
    ],
    [
      'IMAGE_CATALOG_AMQP_FORMAT without a URL',
      { IMAGE_CATALOG_AMQP_FORMAT: 'event' },
      /^IMAGE_CATALOG_AMQP_FORMAT is set but IMAGE_CATALOG_AMQP_URL is not/,
    ],
  ] as const)('%s', (_what, env, message) => {
    expect(configError(env).message).toMatch(message);
  });

  it('IMAGE_CATALOG_AMQP_URL: a bad URL is refused without quoting it (it may hold a password)', () => {
    for (const url of ['http://guest:s3cret@broker:5672', 'amqp//guest:s3cret@broker', 'amqp://guest:s3cret@']) {
      expect(configError({ IMAGE_CATALOG_AMQP_URL: url }).message).not.toMatch(/s3cret|broker/);
    }
  });

  it('IMAGE_CATALOG_TOKENS naming a missing file', () => {
    const missing = path.join(dir, 'no-such-tokens.json');
    expect(configError({ IMAGE_CATALOG_TOKENS: missing }).message).toBe(`IMAGE_CATALOG_TOKENS: cannot read ${missing} (ENOENT)`);
  });

  it.each([
    ['not JSON', '{"secret-token-0001": {"userId": x}}', /is not valid JSON$/],
    ['a JSON array', [], /must hold an object keyed by token/],
    ['no tokens', {}, /holds no tokens/],
    ['a short token', { short: { userId: 'u', projectId: 'p', roles: [] } }, /entry 1: a token must be at least 8 characters/],
    ['a principal that is not an object', { 'secret-token-0001': 'admin' }, /entry 1: must be an object/],
    ['a missing userId', { 'secret-token-0001': { projectId: 'p', roles: [] } }, /entry 1: userId must be a non-empty string/],
    [
      'an empty projectId',
      { 'secret-token-0001': { userId: 'u', projectId: '', roles: [] } },
      /entry 1: projectId must be a non-empty string or null/,
    ],
    [
      'roles that are not strings',
      { 'secret-token-0001': { userId: 'u', projectId: 'p', roles: [1] } },
      /entry 1: roles must be an array of strings/,
    ],
    [
      'a bad second entry',
      { 'secret-token-0001': { userId: 'u', projectId: 'p', roles: [] }, 'secret-token-0002': { userId: 'v', projectId: 'p' } },
      /entry 2: roles/,
    ],
  ] as const)('IMAGE_CATALOG_TOKENS with %s, never printing a token', (_what, content, message) => {
    const error = configError({ IMAGE_CATALOG_TOKENS: tokensFile(content) });
    expect(error.message).toMatch(/^IMAGE_CATALOG_TOKENS: /);
    expect(error.message).toMatch(message);
    expect(error.message).not.toMatch(/secret|short/);
  });

  it('loadTokens reads a valid file on its own', () => {
    const file = tokensFile({ 'member-token-0001': { userId: 'u', projectId: 'p', roles: ['member'] } });
    expect(loadTokens(file).get('member-token-0001')).toEqual({ userId: 'u', projectId: 'p', roles: ['member'] });
  });
});
