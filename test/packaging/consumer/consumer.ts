// FIXTURE of the packing test (test/packaging.test.ts): a team's own server, written against the packed tarballs as npm installs them.
//
// The packing test copies this file into a fresh npm project outside the workspace, type-checks it
// with skipLibCheck: false under NodeNext and under bundler resolution, then runs it: one real
// delete on SQLite through the Express router, over a real socket. It prints one line per check;
// the test asserts on them (`-> 204` first).
//
// The caller is identified the way a real host does it: its own cookie session, handed to our
// router through host identity (`identify` over Express's `req`); the whole delete runs through the
// front door (`createImageCatalog`), whose stop() drains and stops the background work.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeleteImageFailure, ImageDeleted, Principal } from '@image-catalog/core';
import { createImagesRouter, type ExpressIdentityResolver } from '@image-catalog/express';
import { FileImageDataStore } from '@image-catalog/filesystem';
import { authenticated, createImageCatalog, FAILURE_STATUS, unauthenticated } from '@image-catalog/http';
import { createSqliteStorage, openDatabase } from '@image-catalog/sqlite';
import express from 'express';

/** What a failed delete means to this team, decided exhaustively: a new failure kind does not compile. */
function explain(failure: DeleteImageFailure): string {
  switch (failure.kind) {
    case 'InvalidImageId':
      return 'not an image id';
    case 'ImageNotFound':
      return 'no such image';
    case 'DeleteForbidden':
    case 'ImageProtected':
      return 'not allowed';
    case 'StorageUnavailable':
      return `try again in ${failure.retryAfterSeconds} s`;
    case 'StorageFault':
      return 'storage fault';
    default: {
      const unhandled: never = failure;
      return unhandled;
    }
  }
}

function describeSuccess(deleted: ImageDeleted): string {
  return `${deleted.status}, ${deleted.dataDeletionJobs} data-deletion job(s)`;
}

/** Where the host's session middleware keeps the signed-in user. */
const users = new WeakMap<object, Principal>();
function rememberUser(req: object, user: Principal | undefined): void {
  if (user !== undefined) users.set(req, user);
}
function userOf(req: object): Principal | undefined {
  return users.get(req);
}

async function* bytes(text: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(text);
}

const dir = mkdtempSync(join(tmpdir(), 'image-catalog-consumer-'));
const db = openDatabase(join(dir, 'images.db'));
try {
  const storage = createSqliteStorage(db);
  const dataStore = new FileImageDataStore({ root: join(dir, 'images') });
  const catalog = createImageCatalog({ storage, dataStore });
  const deleteImage = catalog.deleteImage;

  // The host's own session: its middleware puts the signed-in user on the request.
  const alice: Principal = { userId: 'alice', projectId: 'team-a', roles: ['member'] };
  const sessions = new Map<string, Principal>([['s-alice', alice]]);
  const callerHeaders = { Cookie: 'session=s-alice' };
  const app = express();
  app.use((req, _res, next) => {
    const sid = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    rememberUser(req, sid === undefined ? undefined : sessions.get(sid));
    next();
  });
  const identify: ExpressIdentityResolver = (req) => {
    const user = userOf(req);
    return user === undefined ? unauthenticated() : authenticated(user);
  };
  app.use('/v2', createImagesRouter({ ...catalog.pipeline, identify }));
  catalog.start();

  // An image with data, made through the store's authoring methods.
  const imageId = randomUUID();
  const now = new Date();
  (await storage.catalog.createImage({ id: imageId, name: 'cirros', owner: alice.projectId, visibility: 'private' }, now)).match(
    () => undefined,
    (failure) => {
      throw new Error(`createImage failed: ${failure.kind}`);
    },
  );
  const stored = (await dataStore.write(imageId, bytes('image bytes'))).match(
    (data) => data,
    (failure) => {
      throw new Error(`write failed: ${failure.kind}`);
    },
  );
  (await storage.catalog.attachImageData(imageId, stored, now)).match(
    () => undefined,
    (failure) => {
      throw new Error(`attachImageData failed: ${failure.kind}`);
    },
  );

  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/v2/images/${imageId}`;
    const first = await fetch(url, { method: 'DELETE', headers: callerHeaders });
    console.log(`consumer: DELETE /v2/images/${imageId} -> ${first.status}`);
    const again = await fetch(url, { method: 'DELETE', headers: callerHeaders });
    console.log(`consumer: DELETE again -> ${again.status}`);
    const anonymous = await fetch(url, { method: 'DELETE' });
    console.log(`consumer: DELETE without identity -> ${anonymous.status}`);
    console.log(`consumer: image data removed -> ${existsSync(fileURLToPath(stored.url)) ? 'no' : 'yes'}`);
  } finally {
    await catalog.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  const direct = await deleteImage.execute({ imageId: 'not-a-uuid', principal: alice });
  console.log(
    `consumer: DeleteImage.execute('not-a-uuid') -> ${direct.match(
      (deleted) => describeSuccess(deleted),
      (failure) => `${failure.kind}, ${FAILURE_STATUS[failure.kind]}, ${explain(failure)}`,
    )}`,
  );
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}
