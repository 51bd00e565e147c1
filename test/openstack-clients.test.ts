// The real OpenStack command-line clients (`glance`, `openstack image delete`) against the example service running as a child process.
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageOverHttp } from '../examples/express-app/src/test-support/in-process-service.js';
import { getStatus } from './support/lifecycle.js';
import { serviceEnv, startServiceProcess, type ServiceProcess } from './support/service-process.js';

const MEMBER = 'demo-member-token';
/** Each client run may take a while to start (Python imports) on a loaded machine; this only bounds a hang. */
const CLIENT_TIMEOUT_MS = 120_000;

/** The executable on PATH, or `null`. */
function onPath(name: string): string | null {
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

const GLANCE = onPath('glance');
const OPENSTACK = onPath('openstack');
if (!GLANCE) console.warn('openstack-clients.test: `glance` (python-glanceclient) is not installed: its tests are skipped');
if (!OPENSTACK) console.warn('openstack-clients.test: `openstack` (python-openstackclient) is not installed: its tests are skipped');

/** The environment without proxies (the service is on loopback) and without OS_* settings that would point the clients elsewhere. */
function clientEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/_proxy$/i.test(key) || key.startsWith('OS_')) continue;
    env[key] = value;
  }
  return { ...env, PYTHONWARNINGS: 'ignore' };
}

interface ClientRun {
  readonly code: number | null;
  /** stdout and stderr together. */
  readonly output: string;
}

function run(command: string, args: readonly string[]): Promise<ClientRun> {
  return new Promise((resolve) => {
    execFile(command, args, { env: clientEnv(), timeout: CLIENT_TIMEOUT_MS, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe.skipIf(!GLANCE && !OPENSTACK)('OpenStack clients against the example service', () => {
  let dataDir = '';
  let service: ServiceProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'image-catalog-clients-'));
    service = await startServiceProcess(serviceEnv(dataDir));
  });
  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.kill('SIGTERM');
      await service.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const create = async (body: Record<string, unknown>) => (await createImageOverHttp(`${service.url}/v2`, MEMBER, body)).id;
  const statusOf = (id: string) => getStatus(`${service.url}/v2`, MEMBER, id);
  const glance = (...args: string[]) =>
    run(GLANCE!, ['--os-image-url', service.url, '--os-auth-token', MEMBER, '--os-image-api-version', '2', ...args]);
  const openstack = (...args: string[]) => run(OPENSTACK!, ['--os-token', MEMBER, '--os-endpoint', `${service.url}/v2`, ...args]);

  it.skipIf(!GLANCE)('glance image-delete <id> exits 0 and the image is gone', { timeout: CLIENT_TIMEOUT_MS + 30_000 }, async () => {
    const id = await create({ name: 'glance-delete', disk_format: 'raw', container_format: 'bare' });
    const result = await glance('image-delete', id);
    expect(result.code, result.output).toBe(0);
    expect(await statusOf(id)).toBe(404);
  });

  it.skipIf(!GLANCE)(
    'glance image-delete of a protected image exits 1, names the image, and deletes nothing',
    { timeout: CLIENT_TIMEOUT_MS + 30_000 },
    async () => {
      const id = await create({ name: 'glance-protected', protected: true });
      const result = await glance('image-delete', id);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toContain(id);
      expect(await statusOf(id)).toBe(200);
    },
  );

  it.skipIf(!OPENSTACK)('openstack image delete <id> exits 0 and the image is gone', { timeout: CLIENT_TIMEOUT_MS + 30_000 }, async () => {
    const id = await create({ name: 'osc-delete' });
    const result = await openstack('image', 'delete', id);
    expect(result.code, result.output).toBe(0);
    expect(await statusOf(id)).toBe(404);
  });

  it.skipIf(!OPENSTACK)(
    'openstack image delete <name> finds the image by name and deletes it',
    { timeout: CLIENT_TIMEOUT_MS + 30_000 },
    async () => {
      const name = `osc-by-name-${globalThis.crypto.randomUUID().slice(0, 8)}`;
      const id = await create({ name });
      const result = await openstack('image', 'delete', name);
      expect(result.code, result.output).toBe(0);
      expect(await statusOf(id)).toBe(404);
    },
  );

  it.skipIf(!OPENSTACK)(
    'openstack image delete of a protected image exits 1, names the image, and deletes nothing',
    { timeout: CLIENT_TIMEOUT_MS + 30_000 },
    async () => {
      const id = await create({ name: 'osc-protected', protected: true });
      const result = await openstack('image', 'delete', id);
      expect(result.code, result.output).toBe(1);
      expect(result.output).toContain(id);
      expect(await statusOf(id)).toBe(200);
    },
  );

  it.skipIf(!GLANCE)(
    'glance creates, uploads, lists, unprotects and deletes an image end to end, data included',
    { timeout: 4 * CLIENT_TIMEOUT_MS },
    async () => {
      const file = path.join(dataDir, 'upload.img');
      writeFileSync(file, 'image bytes from glance\n');
      const name = `glance-e2e-${globalThis.crypto.randomUUID().slice(0, 8)}`;
      const created = await glance(
        'image-create',
        '--name',
        name,
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--protected',
        'True',
        '--file',
        file,
      );
      expect(created.code, created.output).toBe(0);
      const id = /\|\s*id\s*\|\s*([0-9a-f-]{36})\s*\|/.exec(created.output)?.[1];
      expect(id, created.output).toBeDefined();
      expect(created.output).toMatch(/\|\s*status\s*\|\s*active\s*\|/);
      expect(readdirSync(path.join(dataDir, 'images')).some((f) => f.startsWith(id!))).toBe(true);

      const listed = await glance('image-list');
      expect(listed.code, listed.output).toBe(0);
      expect(listed.output).toContain(name);

      expect((await glance('image-delete', id!)).code).toBe(1);
      const unprotected = await glance('image-update', '--protected', 'False', id!);
      expect(unprotected.code, unprotected.output).toBe(0);
      const deleted = await glance('image-delete', id!);
      expect(deleted.code, deleted.output).toBe(0);
      expect(await statusOf(id!)).toBe(404);
      expect(readdirSync(path.join(dataDir, 'images')).some((f) => f.startsWith(id!))).toBe(false);
    },
  );

  it.skipIf(!OPENSTACK)(
    'openstack image create / set --protected / set --unprotected / delete, as an operator would',
    { timeout: 5 * CLIENT_TIMEOUT_MS },
    async () => {
      const file = path.join(dataDir, 'osc.img');
      writeFileSync(file, 'image bytes from openstack\n');
      const name = `osc-e2e-${globalThis.crypto.randomUUID().slice(0, 8)}`;
      const created = await openstack(
        'image',
        'create',
        '--disk-format',
        'raw',
        '--container-format',
        'bare',
        '--file',
        file,
        '-f',
        'value',
        '-c',
        'id',
        name,
      );
      expect(created.code, created.output).toBe(0);
      const id = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(created.output)?.[1];
      expect(id, created.output).toBeDefined();

      expect((await openstack('image', 'set', '--protected', id!)).code).toBe(0);
      const refused = await openstack('image', 'delete', id!);
      expect(refused.code, refused.output).toBe(1);
      expect(refused.output).toContain('is protected and cannot be deleted');
      expect((await openstack('image', 'set', '--unprotected', id!)).code).toBe(0);
      const deleted = await openstack('image', 'delete', name);
      expect(deleted.code, deleted.output).toBe(0);
      expect(await statusOf(id!)).toBe(404);
    },
  );
});
