// The example service's Glance-v2-compatible surface (create, show, list, patch, upload, members, deactivate, versions) over real HTTP.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openApiDocument } from '@image-catalog/http';
import { allowedMethods, expectJsonFault, REQUEST_ID_PATTERN } from '@image-catalog/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_TOKENS } from './config.js';
import { authHeaders, createImageOverHttp, deleteImage, patchImage, startInProcessService, type InProcessService } from './test-support/in-process-service.js';

const ADMIN = 'demo-admin-token';
const MEMBER = 'demo-member-token';
const READER = 'demo-reader-token';
const OTHER = 'demo-other-token';
const MEMBER_PROJECT = DEMO_TOKENS[MEMBER]!.projectId!;
const OTHER_PROJECT = DEMO_TOKENS[OTHER]!.projectId!;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

let svc: InProcessService;
let api = '';

beforeAll(async () => {
  svc = await startInProcessService();
  api = svc.api;
});
afterAll(async () => {
  await svc?.close();
});

const post = (token: string | null, body: string, headers: Record<string, string> = {}) =>
  fetch(`${api}/images`, { method: 'POST', headers: { ...(token ? { 'X-Auth-Token': token } : {}), 'Content-Type': 'application/json', ...headers }, body });
const show = (token: string, id: string) => fetch(`${api}/images/${id}`, { headers: authHeaders(token) });
const showJson = async (token: string, id: string) => {
  const res = await show(token, id);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
};
const upload = (token: string, id: string, body: string | Uint8Array, contentType = 'application/octet-stream') =>
  fetch(`${api}/images/${id}/file`, { method: 'PUT', headers: authHeaders(token, { 'Content-Type': contentType }), body });
/** Data files of an image in the store folder (hidden temp files are not data). */
const filesOf = (id: string) => {
  try {
    return readdirSync(path.join(svc.dataDir, 'images')).filter((name) => !name.startsWith('.') && name.includes(id));
  } catch {
    return [];
  }
};

describe('POST /v2/images', () => {
  it('creates an image with Glance defaults: 201, queued, shared, owned by the caller project, Location', async () => {
    const res = await post(MEMBER, '{}');
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID_PATTERN);
    const image = (await res.json()) as Record<string, unknown>;
    expect(image.id).toMatch(UUID);
    expect(res.headers.get('location')).toBe(`/v2/images/${image.id as string}`);
    expect(image).toMatchObject({
      name: null,
      status: 'queued',
      visibility: 'shared',
      protected: false,
      owner: MEMBER_PROJECT,
      tags: [],
      size: null,
      checksum: null,
      disk_format: null,
      container_format: null,
      min_disk: 0,
      min_ram: 0,
      self: `/v2/images/${image.id as string}`,
      file: `/v2/images/${image.id as string}/file`,
      schema: '/v2/schemas/image',
    });
    expect(image.created_at).toMatch(ISO_SECONDS);
    expect(image.updated_at).toMatch(ISO_SECONDS);
    // What was created is what GET shows.
    expect(await showJson(MEMBER, image.id as string)).toEqual(image);
  });

  it('takes id, name, formats, tags, protected and custom string properties (shown at the top level)', async () => {
    const id = globalThis.crypto.randomUUID();
    const image = await createImageOverHttp(api, MEMBER, {
      id: id.toUpperCase(),
      name: 'cirros',
      disk_format: 'qcow2',
      container_format: 'bare',
      tags: ['a', 'b'],
      protected: true,
      visibility: 'private',
      os_distro: 'cirros',
      hw_disk_bus: 'virtio',
    });
    expect(image).toMatchObject({
      id,
      name: 'cirros',
      disk_format: 'qcow2',
      container_format: 'bare',
      tags: ['a', 'b'],
      protected: true,
      visibility: 'private',
      os_distro: 'cirros',
      hw_disk_bus: 'virtio',
    });
    expect(await showJson(MEMBER, id)).toMatchObject({ os_distro: 'cirros', tags: ['a', 'b'] });
  });

  it('lets an admin create an image for another project, or without owner; others get 403', async () => {
    expect(await createImageOverHttp(api, ADMIN, { owner: OTHER_PROJECT })).toMatchObject({ owner: OTHER_PROJECT });
    expect(await createImageOverHttp(api, ADMIN, { owner: null, visibility: 'public' })).toMatchObject({ owner: null });
    expect(await createImageOverHttp(api, MEMBER, { owner: MEMBER_PROJECT })).toMatchObject({ owner: MEMBER_PROJECT });
    await expectJsonFault(await post(MEMBER, JSON.stringify({ owner: OTHER_PROJECT })), 403, 'forbidden');
    await expectJsonFault(await post(MEMBER, JSON.stringify({ owner: null })), 403, 'forbidden');
  });

  it('lets only an admin create a public image; the owner may choose private, shared or community', async () => {
    const fault = await expectJsonFault(await post(MEMBER, JSON.stringify({ visibility: 'public' })), 403, 'forbidden');
    expect(fault.message).toMatch(/publicize_image/);
    for (const visibility of ['private', 'shared', 'community']) {
      expect(await createImageOverHttp(api, MEMBER, { visibility })).toMatchObject({ visibility });
    }
    expect(await createImageOverHttp(api, ADMIN, { visibility: 'public' })).toMatchObject({ visibility: 'public' });
  });

  it('answers a taken id with 409', async () => {
    const { id } = await createImageOverHttp(api, MEMBER);
    const res = await post(MEMBER, JSON.stringify({ id }));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ conflictingRequest: { code: 409 } });
  });

  it.each([
    ['malformed JSON', '{"name": '],
    ['an array', '[]'],
    ['a string', '"image"'],
    ['JSON null', 'null'],
    ['an invalid id', '{"id": "not-a-uuid"}'],
    ['an unknown visibility', '{"visibility": "everyone"}'],
    ['an unknown disk format', '{"disk_format": "exe"}'],
    ['protected as a string', '{"protected": "yes"}'],
    ['tags as a string', '{"tags": "a,b"}'],
    ['a numeric property', '{"os_version": 22}'],
    ['an over-long name', JSON.stringify({ name: 'n'.repeat(256) })],
  ])('answers %s with 400 badRequest', async (_what, body) => {
    await expectJsonFault(await post(MEMBER, body), 400, 'badRequest');
  });

  it('refuses read-only attributes with 403', async () => {
    for (const key of ['status', 'size', 'checksum', 'locations']) {
      await expectJsonFault(await post(MEMBER, JSON.stringify({ [key]: key === 'size' ? 1 : 'x' })), 403, 'forbidden');
    }
  });

  it('answers a body over 64 KiB with 413, and a bad Content-Length never with a 5xx', async () => {
    await expectJsonFault(await post(MEMBER, JSON.stringify({ name: 'x', blob: 'b'.repeat(70 * 1024) })), 413, 'overLimit');
    const list = await fetch(`${api}/images`, { headers: authHeaders(MEMBER) });
    expect(list.status).toBe(200);
  });

  it('answers 401 with WWW-Authenticate without a valid token, and creates nothing', async () => {
    for (const token of [null, 'not-a-token']) {
      const res = await post(token, JSON.stringify({ name: 'unauthenticated' }));
      await expectJsonFault(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toBeTruthy();
    }
    const list = (await (await fetch(`${api}/images?name=unauthenticated`, { headers: authHeaders(ADMIN) })).json()) as { images: unknown[] };
    expect(list.images).toEqual([]);
  });

  it('negotiates its faults like the DELETE pipeline (text/plain, problem+json)', async () => {
    const text = await post(MEMBER, '{', { Accept: 'text/plain' });
    expect(text.status).toBe(400);
    expect(await text.text()).toMatch(/^400 Bad Request\n\n\S/);
    const problem = await post(MEMBER, '{', { Accept: 'application/problem+json' });
    expect(problem.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await problem.json()).toMatchObject({ status: 400, requestId: problem.headers.get('x-openstack-request-id') });
  });
});

describe('GET /v2/images/{id} and GET /v2/images', () => {
  it('shows an image to whoever may see it, and answers 404 to others exactly as for an unknown id', async () => {
    const shared = await createImageOverHttp(api, MEMBER, { visibility: 'shared' });
    const priv = await createImageOverHttp(api, MEMBER, { visibility: 'private' });
    const community = await createImageOverHttp(api, MEMBER, { visibility: 'community' });
    const pub = await createImageOverHttp(api, ADMIN, { visibility: 'public' });
    for (const token of [MEMBER, READER, ADMIN]) expect((await show(token, priv.id)).status).toBe(200);
    for (const id of [shared.id, priv.id]) {
      const fault = await expectJsonFault(await show(OTHER, id), 404, 'itemNotFound');
      const unknown = globalThis.crypto.randomUUID();
      const unknownFault = await expectJsonFault(await show(OTHER, unknown), 404, 'itemNotFound');
      expect(fault.message.replace(id, '<id>')).toBe(unknownFault.message.replace(unknown, '<id>'));
    }
    for (const id of [community.id, pub.id]) expect((await show(OTHER, id)).status).toBe(200);
    await expectJsonFault(await show(MEMBER, 'not-a-uuid'), 404, 'itemNotFound');
  });

  it('answers 404 once the image is deleted', async () => {
    const { id } = await createImageOverHttp(api, MEMBER);
    expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
    await expectJsonFault(await show(MEMBER, id), 404, 'itemNotFound');
    await expectJsonFault(await show(ADMIN, id), 404, 'itemNotFound');
  });

  it('lists the images the caller may see, filtered by exact name', async () => {
    const name = `listed-${globalThis.crypto.randomUUID()}`;
    const mine = await createImageOverHttp(api, MEMBER, { name, visibility: 'private' });
    const theirs = await createImageOverHttp(api, OTHER, { name, visibility: 'private' });
    const pub = await createImageOverHttp(api, ADMIN, { name, visibility: 'public' });
    await createImageOverHttp(api, MEMBER, { name: `${name}-other` });
    const list = async (token: string) => {
      const res = await fetch(`${api}/images?name=${encodeURIComponent(name)}`, { headers: authHeaders(token) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { images: { id: string; name: string }[] };
      return body.images.map((i) => i.id).sort();
    };
    expect(await list(MEMBER)).toEqual([mine.id, pub.id].sort());
    expect(await list(OTHER)).toEqual([theirs.id, pub.id].sort());
    expect(await list(ADMIN)).toEqual([mine.id, theirs.id, pub.id].sort());
    expect((await deleteImage(api, MEMBER, mine.id)).status).toBe(204);
    expect(await list(MEMBER)).toEqual([pub.id]);
  });

  it('requires authentication', async () => {
    await expectJsonFault(await fetch(`${api}/images`), 401, 'unauthorized');
    await expectJsonFault(await fetch(`${api}/images/${globalThis.crypto.randomUUID()}`), 401, 'unauthorized');
  });
});

describe('PATCH /v2/images/{id}', () => {
  it('sets protected, which DELETE then honours until it is cleared', async () => {
    const { id } = await createImageOverHttp(api, MEMBER);
    const res = await patchImage(api, MEMBER, id, { protected: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, protected: true });
    const fault = await expectJsonFault(await deleteImage(api, MEMBER, id), 403, 'forbidden');
    expect(fault.message).toBe(`Image ${id} is protected and cannot be deleted.`);
    expect((await patchImage(api, MEMBER, id, { protected: false })).status).toBe(200);
    expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
  });

  it('changes name and visibility; only an admin may make an image public', async () => {
    const { id } = await createImageOverHttp(api, MEMBER);
    const renamed = await patchImage(api, MEMBER, id, { name: 'renamed', visibility: 'community' });
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ name: 'renamed', visibility: 'community' });
    await expectJsonFault(await patchImage(api, MEMBER, id, { visibility: 'public' }), 403, 'forbidden');
    expect((await showJson(MEMBER, id)).visibility).toBe('community');
    const published = await patchImage(api, ADMIN, id, { visibility: 'public' });
    expect(published.status).toBe(200);
    expect(await published.json()).toMatchObject({ visibility: 'public', owner: MEMBER_PROJECT });
  });

  it('answers a wrong Content-Type with 415 and Accept-Patch, changing nothing', async () => {
    const { id } = await createImageOverHttp(api, MEMBER);
    for (const contentType of ['application/json', 'text/plain']) {
      const res = await fetch(`${api}/images/${id}`, {
        method: 'PATCH',
        headers: authHeaders(MEMBER, { 'Content-Type': contentType }),
        body: JSON.stringify([{ op: 'replace', path: '/protected', value: true }]),
      });
      expect(res.status).toBe(415);
      expect(res.headers.get('accept-patch')).toContain(PATCH_TYPE);
      expect(await res.json()).toMatchObject({ badMediaType: { code: 415 } });
    }
    expect((await showJson(MEMBER, id)).protected).toBe(false);
  });

  it('refuses a reader of the owner project (403) and hides the image from another project (404)', async () => {
    const { id } = await createImageOverHttp(api, MEMBER, { visibility: 'private' });
    await expectJsonFault(await patchImage(api, READER, id, { protected: true }), 403, 'forbidden');
    await expectJsonFault(await patchImage(api, OTHER, id, { protected: true }), 404, 'itemNotFound');
    expect((await showJson(MEMBER, id)).protected).toBe(false);
  });

  it.each([
    ['an unknown path', JSON.stringify([{ op: 'replace', path: '/owner', value: 'x' }]), 403],
    ['a remove operation', JSON.stringify([{ op: 'remove', path: '/name' }]), 400],
    ['protected as a string', JSON.stringify([{ op: 'replace', path: '/protected', value: 'true' }]), 400],
    ['a patch that is not an array', JSON.stringify({ op: 'replace', path: '/name', value: 'x' }), 400],
    ['malformed JSON', '[{', 400],
  ])('refuses %s with a 4xx fault and changes nothing', async (_what, body, status) => {
    const { id } = await createImageOverHttp(api, MEMBER, { name: 'unchanged' });
    const res = await fetch(`${api}/images/${id}`, { method: 'PATCH', headers: authHeaders(MEMBER, { 'Content-Type': PATCH_TYPE }), body });
    await expectJsonFault(res, status, status === 403 ? 'forbidden' : 'badRequest');
    expect(await showJson(MEMBER, id)).toMatchObject({ name: 'unchanged', protected: false });
  });

  it('answers 404 for a deleted image', async () => {
    const { id } = await createImageOverHttp(api, MEMBER);
    expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
    await expectJsonFault(await patchImage(api, MEMBER, id, { protected: true }), 404, 'itemNotFound');
    await expectJsonFault(await patchImage(api, ADMIN, id, { name: 'back' }), 404, 'itemNotFound');
  });
});

describe('storage failures on the fixture endpoints', () => {
  it('answer 500 apiFault with a fixed message, and log the cause for the operator', async () => {
    const { id } = await createImageOverHttp(api, MEMBER);
    const db = new Database(svc.config.databasePath);
    try {
      db.exec(`CREATE TRIGGER refuse_patch BEFORE UPDATE ON images WHEN OLD.id = '${id}' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`);
    } finally {
      db.close();
    }
    svc.logs.splice(0);
    const fault = await expectJsonFault(await patchImage(api, MEMBER, id, { name: 'x' }), 500, 'apiFault');
    expect(fault.message).toBe('The server has either erred or is incapable of performing the requested operation.');
    const logged = svc.logs.filter((entry) => entry.level === 'error');
    expect(logged.map((entry) => entry.msg)).toEqual(['fixture endpoint failed']);
    expect(String((logged[0]!.obj as { err?: unknown }).err)).toContain('refused by test');
  });
});

describe('PUT /v2/images/{id}/file', () => {
  it('stores the data as one file named after the image; the image becomes active with size, md5 checksum and sha512 hash', async () => {
    const { id } = await createImageOverHttp(api, MEMBER, { disk_format: 'raw', container_format: 'bare' });
    const data = Buffer.from('image bytes '.repeat(1000));
    const res = await upload(MEMBER, id, data);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await showJson(MEMBER, id)).toMatchObject({
      status: 'active',
      size: data.length,
      checksum: createHash('md5').update(data).digest('hex'),
      os_hash_algo: 'sha512',
      os_hash_value: createHash('sha512').update(data).digest('hex'),
    });
    const files = filesOf(id);
    expect(files).toHaveLength(1);
    expect(readFileSync(path.join(svc.dataDir, 'images', files[0]!)).equals(data)).toBe(true);
  });

  it('deleting the image removes its file', async () => {
    const { id } = await createImageOverHttp(api, MEMBER);
    expect((await upload(MEMBER, id, 'some data')).status).toBe(204);
    expect(filesOf(id)).toHaveLength(1);
    expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
    expect(filesOf(id)).toEqual([]);
  });

  it('refuses a second upload (409), a wrong Content-Type (415), a reader (403) and another project (404)', async () => {
    const { id } = await createImageOverHttp(api, MEMBER, { visibility: 'private' });
    expect((await upload(MEMBER, id, 'first')).status).toBe(204);
    const again = await upload(MEMBER, id, 'second');
    expect(again.status).toBe(409);
    await again.body?.cancel();
    const fresh = await createImageOverHttp(api, MEMBER, { visibility: 'private' });
    expect((await upload(MEMBER, fresh.id, 'x', 'application/json')).status).toBe(415);
    await expectJsonFault(await upload(READER, fresh.id, 'x'), 403, 'forbidden');
    await expectJsonFault(await upload(OTHER, fresh.id, 'x'), 404, 'itemNotFound');
    expect(filesOf(id)).toHaveLength(1);
    expect(filesOf(fresh.id)).toEqual([]);
    expect((await showJson(MEMBER, fresh.id)).status).toBe('queued');
  });

  it('accepts one of two concurrent uploads and keeps exactly one file', async () => {
    const { id } = await createImageOverHttp(api, MEMBER);
    const [a, b] = await Promise.all([upload(MEMBER, id, 'a'.repeat(100_000)), upload(MEMBER, id, 'b'.repeat(100_000))]);
    expect([a.status, b.status].sort()).toEqual([204, 409]);
    expect(filesOf(id)).toHaveLength(1);
    expect((await showJson(MEMBER, id)).size).toBe(100_000);
  });
});

describe('POST /v2/images/{id}/members', () => {
  it('shares an image with another project, which can then see it', async () => {
    const { id } = await createImageOverHttp(api, MEMBER, { visibility: 'shared' });
    await expectJsonFault(await show(OTHER, id), 404, 'itemNotFound');
    const res = await fetch(`${api}/images/${id}/members`, {
      method: 'POST',
      headers: authHeaders(MEMBER, { 'Content-Type': 'application/json' }),
      body: JSON.stringify({ member: OTHER_PROJECT }),
    });
    expect(res.status).toBe(200);
    const member = (await res.json()) as Record<string, unknown>;
    expect(member).toMatchObject({ image_id: id, member_id: OTHER_PROJECT, status: 'pending', schema: '/v2/schemas/member' });
    expect(member.created_at).toMatch(ISO_SECONDS);
    expect((await show(OTHER, id)).status).toBe(200);
    // A member may see the image but not delete it.
    await expectJsonFault(await deleteImage(api, OTHER, id), 403, 'forbidden');
  });

  it('refuses members of a non-shared image (403), a non-owner (403 or 404) and a bad body (400)', async () => {
    const priv = await createImageOverHttp(api, MEMBER, { visibility: 'private' });
    const addMember = (token: string, id: string, body: string) =>
      fetch(`${api}/images/${id}/members`, { method: 'POST', headers: authHeaders(token, { 'Content-Type': 'application/json' }), body });
    await expectJsonFault(await addMember(MEMBER, priv.id, JSON.stringify({ member: OTHER_PROJECT })), 403, 'forbidden');
    const shared = await createImageOverHttp(api, MEMBER, { visibility: 'shared' });
    await expectJsonFault(await addMember(OTHER, shared.id, JSON.stringify({ member: OTHER_PROJECT })), 404, 'itemNotFound');
    const community = await createImageOverHttp(api, MEMBER, { visibility: 'community' });
    await expectJsonFault(await addMember(OTHER, community.id, JSON.stringify({ member: OTHER_PROJECT })), 403, 'forbidden');
    for (const body of ['{}', '{"member": ""}', '{"member": 7}', '[', '"x"']) {
      await expectJsonFault(await addMember(MEMBER, shared.id, body), 400, 'badRequest');
    }
  });
});

describe('POST /v2/images/{id}/actions/deactivate', () => {
  const deactivate = (token: string, id: string) => fetch(`${api}/images/${id}/actions/deactivate`, { method: 'POST', headers: authHeaders(token) });

  it('lets only an admin deactivate an active image; a deactivated image can still be deleted', async () => {
    const { id } = await createImageOverHttp(api, MEMBER);
    await expectJsonFault(await deactivate(ADMIN, id), 400, 'badRequest');
    expect((await upload(MEMBER, id, 'data')).status).toBe(204);
    await expectJsonFault(await deactivate(MEMBER, id), 403, 'forbidden');
    expect((await showJson(MEMBER, id)).status).toBe('active');
    const res = await deactivate(ADMIN, id);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect((await showJson(MEMBER, id)).status).toBe('deactivated');
    expect((await deactivate(ADMIN, id)).status).toBe(204);
    expect((await deleteImage(api, MEMBER, id)).status).toBe(204);
    expect(filesOf(id)).toEqual([]);
  });
});

describe('methods a path does not serve', () => {
  const id = globalThis.crypto.randomUUID();
  const paths: readonly (readonly [string, readonly string[], readonly string[]])[] = [
    ['/v2/images', ['PUT', 'DELETE', 'PATCH'], ['GET', 'POST']],
    [`/v2/images/${id}`, ['PUT', 'POST'], ['GET', 'PATCH', 'DELETE']],
    [`/v2/images/${id}/file`, ['GET', 'POST', 'DELETE', 'PATCH'], ['PUT']],
    [`/v2/images/${id}/members`, ['GET', 'PUT', 'DELETE', 'PATCH'], ['POST']],
    [`/v2/images/${id}/actions/deactivate`, ['GET', 'PUT', 'DELETE', 'PATCH'], ['POST']],
    ['/versions', ['POST', 'PUT', 'DELETE', 'PATCH'], ['GET']],
    ['/', ['POST', 'PUT', 'DELETE', 'PATCH'], ['GET']],
    ['/openapi.json', ['POST', 'PUT', 'DELETE', 'PATCH'], ['GET']],
  ];

  it.each(paths)('%s: 405 badMethod with Allow listing what it serves', async (p, refused, served) => {
    for (const method of refused) {
      const res = await fetch(`${svc.url}${p}`, { method, headers: authHeaders(ADMIN) });
      await expectJsonFault(res, 405, 'badMethod');
      expect(allowedMethods(res), `${method} ${p}`).toEqual(expect.arrayContaining([...served, 'OPTIONS']));
      for (const m of refused) expect(allowedMethods(res), `${method} ${p}`).not.toContain(m);
    }
  });

  it.each(paths)('%s: OPTIONS answers 204 with Allow, without authentication', async (p, _refused, served) => {
    const res = await fetch(`${svc.url}${p}`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(allowedMethods(res)).toEqual(expect.arrayContaining([...served, 'OPTIONS']));
    expect(res.headers.get('x-openstack-request-id')).toMatch(REQUEST_ID_PATTERN);
  });

  it('answers anything outside the API with a 404 fault', async () => {
    for (const p of ['/v1/images', '/v3', '/images', '/v2/images/x/y/z', '/favicon.ico']) {
      await expectJsonFault(await fetch(`${svc.url}${p}`, { headers: authHeaders(ADMIN) }), 404, 'itemNotFound');
    }
  });
});

describe('discovery documents', () => {
  type Versions = { versions: { id: string; status: string; links: { rel: string; href: string }[] }[] };
  const expectVersions = (doc: Versions) => {
    expect(doc.versions.length).toBeGreaterThan(0);
    expect(doc.versions.filter((v) => v.status === 'CURRENT')).toHaveLength(1);
    for (const version of doc.versions) {
      expect(version.id).toMatch(/^v2\.\d+$/);
      expect(version.links).toContainEqual({ rel: 'self', href: `${svc.url}/v2/` });
    }
  };

  it('GET /versions answers 200 with the versions document pointing at /v2/', async () => {
    const res = await fetch(`${svc.url}/versions`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectVersions((await res.json()) as Versions);
  });

  it('GET / answers 300 Multiple Choices with the same document, as Glance does', async () => {
    const res = await fetch(`${svc.url}/`, { redirect: 'manual' });
    expect(res.status).toBe(300);
    expectVersions((await res.json()) as Versions);
  });

  it('GET /openapi.json serves the OpenAPI document of DELETE', async () => {
    const res = await fetch(`${svc.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });
});
