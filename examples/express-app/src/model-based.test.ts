// Property-based: random sequences of fixture writes, deletes, restores and reads by random callers, checked against a reference model (SQLite, PostgreSQL, delayed mode).
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ImageVisibility, Principal } from '@image-catalog/core';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogModel, type ModelCommand, type ModelImage, type ModelPrincipal } from './test-support/catalog-model.js';
import { authHeaders, startInProcessService, type InProcessService } from './test-support/in-process-service.js';

const RUNS = Number(process.env['MODEL_TEST_RUNS'] ?? 300);
const SEED = process.env['MODEL_TEST_SEED'] === undefined ? randomBytes(4).readInt32LE(0) : Number(process.env['MODEL_TEST_SEED']);
if (!Number.isInteger(RUNS) || RUNS < 1)
  throw new Error(`MODEL_TEST_RUNS must be a positive integer, not ${process.env['MODEL_TEST_RUNS']}`);
if (!Number.isInteger(SEED)) throw new Error(`MODEL_TEST_SEED must be an integer, not ${process.env['MODEL_TEST_SEED']}`);
const ADMIN_URL = process.env['IMAGE_CATALOG_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

const CALLERS = ['admin', 'ownerMember', 'ownerReader', 'other', 'memberProject'] as const;
type Caller = (typeof CALLERS)[number];
const PRINCIPALS: Record<Caller, Principal> = {
  admin: { userId: 'admin', projectId: 'admin-project', roles: ['admin', 'member'] },
  ownerMember: { userId: 'alice', projectId: 'owner-project', roles: ['member', 'reader'] },
  ownerReader: { userId: 'bob', projectId: 'owner-project', roles: ['reader'] },
  other: { userId: 'carol', projectId: 'other-project', roles: ['member', 'reader'] },
  memberProject: { userId: 'dave', projectId: 'member-project', roles: ['member', 'reader'] },
};
const TOKEN = (caller: Caller) => `model-token-${caller}`;
const TOKENS = Object.fromEntries(CALLERS.map((c) => [TOKEN(c), PRINCIPALS[c]]));
const MODEL_PRINCIPALS: Record<Caller, ModelPrincipal> = Object.fromEntries(
  CALLERS.map((c) => {
    const p = PRINCIPALS[c];
    return [c, { projectId: p.projectId as string, admin: p.roles.includes('admin'), member: p.roles.includes('member') }];
  }),
) as Record<Caller, ModelPrincipal>;

const GHOST_SLOT = 5;
const VISIBILITIES: ImageVisibility[] = ['private', 'shared', 'community', 'public'];

/** Sequences of a few commands, creates (mostly by the owner project's member) weighted so later commands have images to act on. */
function commands(withRestore: boolean): fc.Arbitrary<ModelCommand<Caller>[]> {
  // Half the commands come from the callers who may write most, so that writes succeed as often as they are refused.
  const by = fc.oneof(fc.constantFrom<Caller>(...CALLERS), fc.constantFrom<Caller>('ownerMember', 'admin'));
  // Slots 0-2 pick the image the previous command acted on (chains like create, upload, delete, restore), 3-4 another one, 5 an id never created.
  const slot = fc.integer({ min: 0, max: GHOST_SLOT });
  const create: fc.Arbitrary<ModelCommand<Caller>> = fc.record({
    kind: fc.constant('create' as const),
    by: fc.oneof({ arbitrary: fc.constant<Caller>('ownerMember'), weight: 3 }, { arbitrary: by, weight: 2 }),
    visibility: fc.constantFrom<ImageVisibility | undefined>(undefined, ...VISIBILITIES),
    // Mostly unprotected, so that deletes get past the protection check as often as they meet it.
    protected: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
  });
  const command: fc.Arbitrary<ModelCommand<Caller>>[] = [
    create,
    fc.record({ kind: fc.constant('upload' as const), by, slot }),
    fc.record({ kind: fc.constant('patch' as const), by, slot, field: fc.constant('protected' as const), value: fc.boolean() }),
    fc.record({
      kind: fc.constant('patch' as const),
      by,
      slot,
      field: fc.constant('visibility' as const),
      value: fc.constantFrom(...VISIBILITIES),
    }),
    fc.record({
      kind: fc.constant('patch' as const),
      by,
      slot,
      field: fc.constant('name' as const),
      value: fc.constantFrom('a', 'renamed'),
    }),
    fc.record({ kind: fc.constant('addMember' as const), by, slot, member: fc.constantFrom('member-project', 'other-project') }),
    fc.record({ kind: fc.constant('deactivate' as const), by, slot }),
    fc.record({ kind: fc.constant('delete' as const), by, slot }),
    fc.record({ kind: fc.constant('get' as const), by, slot }),
  ];
  // Restores mostly by the admin, the only caller allowed, so that some of them find a pending_delete image.
  const restoreBy = fc.oneof({ arbitrary: fc.constant<Caller>('admin'), weight: 3 }, { arbitrary: by, weight: 1 });
  if (withRestore) command.push(fc.record({ kind: fc.constant('restore' as const), by: restoreBy, slot }));
  const weighted = command.map((arbitrary, i) => ({ arbitrary, weight: i === 1 || i === 7 ? 3 : i === 9 ? 4 : 1 }));
  // Every sequence starts with a create, so the commands after it have an image to act on.
  return fc.tuple(create, fc.array(fc.oneof(...weighted), { maxLength: 9 })).map(([first, others]) => [first, ...others]);
}

/** Runs `sequence` against the service and the model, then checks every image; throws on the first disagreement, with the transcript so far. */
async function runSequence(svc: InProcessService, model: CatalogModel, sequence: readonly ModelCommand<Caller>[]): Promise<void> {
  /** The id of slot GHOST_SLOT, and of every slot while there is no image yet: never created, so 404 for everyone. */
  const ghost = randomUUID();
  /** The index of the image the previous command acted on (after a create, the newest). */
  let current = 0;
  const transcript: string[] = [];
  const fail = (message: string): never => {
    throw new Error(`${message}\ntranscript:\n  ${transcript.join('\n  ')}`);
  };
  const call = async (method: string, url: string, caller: Caller, headers: Record<string, string> = {}, body?: string) => {
    const res = await fetch(`${svc.api}${url}`, {
      method,
      headers: authHeaders(TOKEN(caller), headers),
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    if (res.status >= 500) fail(`${method} ${url} by ${caller}: ${res.status} ${text.slice(0, 300)}`);
    return { status: res.status, text };
  };
  const compare = (what: string, expected: number | string, actual: number | string, detail = '') => {
    transcript.push(`${what} → ${actual}${expected === actual ? '' : ` (model: ${expected})`}`);
    if (expected !== actual) fail(`${what}: the service answered ${actual}, the model expected ${expected} ${detail.slice(0, 300)}`);
  };

  for (const cmd of sequence) {
    const p = MODEL_PRINCIPALS[cmd.by];
    if (cmd.kind === 'create') {
      const id = randomUUID();
      const name = `model-${id}`;
      const body = { id, name, protected: cmd.protected, ...(cmd.visibility === undefined ? {} : { visibility: cmd.visibility }) };
      const res = await call('POST', '/images', cmd.by, { 'Content-Type': 'application/json' }, JSON.stringify(body));
      compare(
        `create ${JSON.stringify(body)} by ${cmd.by}`,
        model.create(p, id, name, cmd.visibility, cmd.protected),
        res.status,
        res.text,
      );
      current = Math.max(0, model.images.length - 1);
      continue;
    }
    const count = model.images.length;
    if (cmd.slot >= 3 && cmd.slot < GHOST_SLOT && count > 0) current = (current + cmd.slot) % count;
    const image: ModelImage | undefined = cmd.slot === GHOST_SLOT ? undefined : model.images[current];
    const id = image?.id ?? ghost;
    const target = image === undefined ? 'a never-created id' : `#${model.images.indexOf(image)}`;
    const label = `${cmd.kind}${cmd.kind === 'patch' ? ` ${cmd.field}=${String(cmd.value)}` : ''}${cmd.kind === 'addMember' ? ` ${cmd.member}` : ''} ${target} by ${cmd.by}`;
    switch (cmd.kind) {
      case 'upload': {
        const res = await call('PUT', `/images/${id}/file`, cmd.by, { 'Content-Type': 'application/octet-stream' }, `data of ${id}`);
        compare(label, model.upload(image, p), res.status, res.text);
        break;
      }
      case 'patch': {
        const ops = JSON.stringify([{ op: 'replace', path: `/${cmd.field}`, value: cmd.value }]);
        const res = await call('PATCH', `/images/${id}`, cmd.by, { 'Content-Type': 'application/openstack-images-v2.1-json-patch' }, ops);
        compare(label, model.patch(image, p, cmd.field, cmd.value), res.status, res.text);
        break;
      }
      case 'addMember': {
        const res = await call(
          'POST',
          `/images/${id}/members`,
          cmd.by,
          { 'Content-Type': 'application/json' },
          JSON.stringify({ member: cmd.member }),
        );
        compare(label, model.addMember(image, p, cmd.member), res.status, res.text);
        break;
      }
      case 'deactivate': {
        const res = await call('POST', `/images/${id}/actions/deactivate`, cmd.by);
        compare(label, model.deactivate(image, p), res.status, res.text);
        break;
      }
      case 'delete': {
        const res = await call('DELETE', `/images/${id}`, cmd.by);
        compare(label, model.delete(image, p), res.status, res.text);
        break;
      }
      case 'restore': {
        const result = await svc.service.catalog.restoreImage.execute({ imageId: id, principal: PRINCIPALS[cmd.by] });
        compare(label, model.restore(image, p), result.isOk() ? 'ok' : result.error.kind);
        break;
      }
      case 'get': {
        const res = await call('GET', `/images/${id}`, cmd.by);
        compare(label, model.get(image, p), res.status, res.text);
        break;
      }
    }
  }

  // No leak: every caller sees exactly what the model says, and what it sees is the model's image.
  for (const [slot, image] of model.images.entries()) {
    for (const caller of CALLERS) {
      const res = await call('GET', `/images/${image.id}`, caller);
      compare(`final GET #${slot} by ${caller}`, model.get(image, MODEL_PRINCIPALS[caller]), res.status, res.text);
      if (res.status !== 200) continue;
      const shown = JSON.parse(res.text) as { status: string; visibility: string; protected: boolean; name: string; owner: string };
      const expected = {
        status: image.status,
        visibility: image.visibility,
        protected: image.protected,
        name: image.name,
        owner: image.owner,
      };
      const actual = {
        status: shown.status,
        visibility: shown.visibility,
        protected: shown.protected,
        name: shown.name,
        owner: shown.owner,
      };
      compare(`final image #${slot} as ${caller} sees it`, JSON.stringify(expected), JSON.stringify(actual));
    }
    // The catalog (deleted images included) and the data directory agree with the model.
    const stored = await svc.service.storage.images.findById(image.id);
    const storedStatus = stored.isOk() ? (stored.value?.status ?? 'absent') : `error ${stored.error.kind}`;
    compare(`catalog status of #${slot}`, image.status, storedStatus);
    const files = readdirSync(path.join(svc.dataDir, 'images')).filter((name) => name.startsWith(image.id)).length;
    const dataKept = image.hasData && image.status !== 'deleted';
    compare(`data files of #${slot} (${image.status})`, dataKept ? 1 : 0, files);
  }
}

/** One service per adapter; every run gets fresh image ids; after all runs, the delivered events match the committed deletes. */
function modelSuite(name: string, options: { env?: () => Record<string, string>; delayed?: boolean }) {
  let svc: InProcessService;
  const deletes = new Map<string, number>();

  beforeAll(async () => {
    svc = await startInProcessService({
      tokens: TOKENS,
      eventsFile: true,
      env: { ...(options.delayed ? { IMAGE_CATALOG_DELAYED_DELETE: '1' } : {}), ...options.env?.() },
    });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it(`${name}: ${RUNS} random sequences agree with the model`, { timeout: 600_000 }, async () => {
    console.log(`[model-based] ${name}: seed ${SEED}, ${RUNS} runs (MODEL_TEST_SEED=${SEED} reproduces)`);
    const property = fc.asyncProperty(commands(options.delayed === true), async (sequence) => {
      const model = new CatalogModel(options.delayed === true);
      try {
        await runSequence(svc, model, sequence);
      } finally {
        for (const [id, count] of model.deletes) deletes.set(id, (deletes.get(id) ?? 0) + count);
      }
    });
    try {
      await fc.assert(property, { seed: SEED, numRuns: RUNS });
    } catch (error) {
      console.error(`[model-based] ${name}: FAILED with seed ${SEED} (rerun with MODEL_TEST_SEED=${SEED})`);
      throw error;
    }

    // Events: after a graceful stop (which delivers what is pending), exactly one per committed delete.
    await svc.stop();
    const file = path.join(svc.dataDir, 'events.jsonl');
    const lines = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
      : [];
    const records = lines.map((line) => JSON.parse(line) as { id: string; type: string; imageId: string });
    const delivered = new Map<string, number>();
    for (const record of new Map(records.map((r) => [r.id, r])).values()) {
      expect(record.type).toBe('image.delete');
      delivered.set(record.imageId, (delivered.get(record.imageId) ?? 0) + 1);
    }
    expect(Object.fromEntries([...delivered].sort())).toEqual(Object.fromEntries([...deletes].sort()));
  });
}

describe('model-based: SQLite', () => {
  modelSuite('SQLite', {});
});

describe('model-based: SQLite, delayed delete with restore', () => {
  modelSuite('SQLite delayed', { delayed: true });
});

/** `null` when the PostgreSQL test server answers, otherwise why not. */
async function unreachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return null;
  } catch (cause) {
    return cause instanceof Error ? cause.message || cause.name : String(cause);
  } finally {
    await client.end().catch(() => {});
  }
}

const pgSkip = await unreachable();
if (pgSkip !== null) console.warn(`\n[model-based] SKIPPING PostgreSQL: cannot reach ${ADMIN_URL} (${pgSkip})\n`);

describe.skipIf(pgSkip !== null)(`model-based: PostgreSQL${pgSkip === null ? '' : ' (SKIPPED: PostgreSQL unreachable)'}`, () => {
  const database = `ic_model_${randomBytes(6).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  beforeAll(() => admin(`CREATE DATABASE ${database}`));
  // Registered before the suite's own afterAll, so it runs after it (hooks unwind as a stack).
  afterAll(() => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  modelSuite('PostgreSQL', { env: () => ({ DATABASE_URL: url.href }) });
});
