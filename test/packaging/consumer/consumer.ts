// FIXTURE of the packing test (test/packaging.test.ts): a team's own server, written against the packed tarballs as npm installs them.
//
// The packing test copies this file into a fresh npm project outside the workspace, type-checks it
// with skipLibCheck: false under NodeNext and under bundler resolution, then runs it: one real
// delete on SQLite through the Express router, over a real socket. It prints one line per check;
// the test asserts on them (`-> 204` first).
//
// LEAD: the caller is identified by the token authenticator, as the router's API has it today.
// Once host identity lands in @image-catalog/express, switch `identify` below to it (e.g. a
// cookie the host app already checked) and keep the printed lines as they are.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DataDeletionWorker,
  DeleteImage,
  defaultDeletePolicy,
  systemClock,
  type DeleteImageFailure,
  type ImageDeleted,
  type Principal,
} from '@image-catalog/core';
import { createImagesRouter } from '@image-catalog/express';
import { FileImageDataStore } from '@image-catalog/filesystem';
import { FAILURE_STATUS, StaticTokenAuthenticator, type Authenticator, type ImagesHandlerOptions } from '@image-catalog/http';
import { openDatabase, SqliteImageStore } from '@image-catalog/sqlite';
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

async function* bytes(text: string): AsyncIterable<Uint8Array> {
  yield new TextEncoder().encode(text);
}

const dir = mkdtempSync(join(tmpdir(), 'image-catalog-consumer-'));
const db = openDatabase(join(dir, 'images.db'));
try {
  const store = new SqliteImageStore(db);
  const dataStore = new FileImageDataStore({ root: join(dir, 'images') });
  const deleteImage = new DeleteImage(store, defaultDeletePolicy, systemClock, new DataDeletionWorker(dataStore, store, systemClock));

  // How the caller is identified (see LEAD above).
  const alice: Principal = { userId: 'alice', projectId: 'team-a', roles: ['member'] };
  const identify: Authenticator = new StaticTokenAuthenticator({ 'alice-token': alice });
  const callerHeaders = { 'X-Auth-Token': 'alice-token' };

  const options: Omit<ImagesHandlerOptions, 'basePath'> = { deleteImage, authenticator: identify };
  const app = express();
  app.use('/v2', createImagesRouter(options));

  // An image with data, made through the store's authoring methods.
  const imageId = randomUUID();
  const now = new Date();
  (await store.createImage({ id: imageId, name: 'cirros', owner: alice.projectId, visibility: 'private' }, now)).match(
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
  (await store.attachImageData(imageId, stored, now)).match(
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
