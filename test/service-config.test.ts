// The example service refuses bad settings at start-up: exit status 2 and a message naming the setting, no stack trace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceEnv, startServiceProcess } from './support/service-process.js';

const dir = mkdtempSync(path.join(tmpdir(), 'image-catalog-config-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const badTokens = path.join(dir, 'tokens.json');
writeFileSync(badTokens, '{"secret-token-0001": {"userId": "ops", "roles": "admin"}}');

describe('the example service with bad settings', () => {
  it.each([
    ['PORT=abc', { PORT: 'abc' }, 'PORT must be a whole number from 0 to 65535, got "abc"'],
    ['IMAGE_CATALOG_RATE_LIMIT=10', { IMAGE_CATALOG_RATE_LIMIT: '10' }, 'IMAGE_CATALOG_RATE_LIMIT must be <count>/<seconds>'],
    [
      'a bad tokens file',
      { IMAGE_CATALOG_TOKENS: badTokens },
      'IMAGE_CATALOG_TOKENS: entry 1: projectId must be a non-empty string or null',
    ],
  ])('%s: exits 2 with "configuration error: ..." and never listens', { timeout: 120_000 }, async (_what, extra, message) => {
    // serviceEnv sets PORT=0; the extra settings override it.
    const started = startServiceProcess(serviceEnv(path.join(dir, 'data'), extra));
    const failure = (await started.then(
      () => {
        throw new Error('the service started with a bad setting');
      },
      (error: unknown) => error,
    )) as Error;
    expect(failure.message).toMatch(/exited before listening \(code 2, signal null\)/);
    expect(failure.message).toContain(`image-catalog: configuration error: ${message}`);
    expect(failure.message).not.toMatch(/\n\s+at /);
    expect(failure.message).not.toContain('secret-token');
  });
});
