// Requests racing a DELETE on the example service: a PATCH never reports success after the delete, and no upload leaves an orphan file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '@image-catalog/testkit';
import {
  authHeaders,
  createImageOverHttp,
  deleteImage,
  patchImage,
  startInProcessService,
  type InProcessService,
} from './test-support/in-process-service.js';

const MEMBER = 'demo-member-token';
const ROUNDS = 30;

/** What the delete's `image.delete` event says the image was when it was deleted. */
interface DeleteEvent {
  readonly imageId: string;
  readonly payload: { readonly name: string | null; readonly protected: boolean };
}

/** A head start of a few event-loop turns or a few milliseconds, so the requests of a round interleave differently. */
async function headStart(random: () => number): Promise<void> {
  if (random() < 0.5) {
    const turns = Math.floor(random() * 4);
    for (let i = 0; i < turns; i++) await new Promise<void>((done) => setImmediate(done));
  } else {
    await new Promise<void>((done) => setTimeout(done, Math.floor(random() * 30)));
  }
}

async function outcome(res: Response): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

describe('PATCH racing DELETE on the same image', () => {
  let svc: InProcessService;
  beforeAll(async () => {
    svc = await startInProcessService({ eventsFile: true });
  });
  afterAll(async () => {
    await svc?.close();
  });

  /**
   * Each round sends a PATCH and a DELETE of one image at once (in a random order, with a random
   * head start). Whatever the interleaving, exactly one of these must hold:
   * - the DELETE committed first: DELETE 204, PATCH 404, GET 404;
   * - the PATCH committed first: PATCH 200 with the change, then the DELETE saw it:
   *   - it set protected=true: DELETE 403 "protected", and the image is still there, protected;
   *   - it changed anything else: DELETE 204, and the deleted image's `image.delete` event carries the change.
   * So a PATCH that reports success was applied to a live image, and a DELETE that reports success
   * never deleted an image that was protected when it committed.
   */
  it(`PATCH protected=true vs DELETE (${ROUNDS} rounds): exactly one wins`, async () => {
    const random = seededRandom(1);
    const tally = { deleteFirst: 0, patchFirst: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const { id } = await createImageOverHttp(svc.api, MEMBER, { name: `race-${round}` });
      const [patch, del] = await race(
        random,
        () => patchImage(svc.api, MEMBER, id, { protected: true }),
        () => deleteImage(svc.api, MEMBER, id),
      );
      const after = await outcome(await fetch(`${svc.api}/images/${id}`, { headers: authHeaders(MEMBER) }));
      const where = `round ${round}: PATCH ${patch.status}, DELETE ${del.status}, GET ${after.status}`;
      if (del.status === 204) {
        expect(patch.status, where).toBe(404);
        expect(after.status, where).toBe(404);
        tally.deleteFirst++;
      } else {
        expect(patch.status, where).toBe(200);
        expect(patch.body, where).toMatchObject({ id, protected: true });
        expect(del.status, where).toBe(403);
        expect(del.body, where).toMatchObject({ forbidden: { message: `Image ${id} is protected and cannot be deleted.` } });
        expect(after.status, where).toBe(200);
        expect(after.body, where).toMatchObject({ protected: true, status: 'queued' });
        tally.patchFirst++;
      }
    }
    expect(tally.deleteFirst + tally.patchFirst).toBe(ROUNDS);
  });

  it(`PATCH protected=false on a protected image vs DELETE (${ROUNDS} rounds): the DELETE succeeds only after the unprotect`, async () => {
    const random = seededRandom(2);
    for (let round = 0; round < ROUNDS; round++) {
      const { id } = await createImageOverHttp(svc.api, MEMBER, { protected: true });
      const [patch, del] = await race(
        random,
        () => patchImage(svc.api, MEMBER, id, { protected: false }),
        () => deleteImage(svc.api, MEMBER, id),
      );
      const after = await fetch(`${svc.api}/images/${id}`, { headers: authHeaders(MEMBER) });
      await after.body?.cancel();
      const where = `round ${round}: PATCH ${patch.status}, DELETE ${del.status}, GET ${after.status}`;
      // The DELETE could only succeed after the PATCH committed, so the PATCH succeeded either way.
      expect(patch.status, where).toBe(200);
      expect(patch.body, where).toMatchObject({ protected: false });
      if (del.status === 204) {
        expect(after.status, where).toBe(404);
      } else {
        expect(del.status, where).toBe(403);
        expect(after.status, where).toBe(200);
      }
    }
  });

  it(`PATCH name vs DELETE (${ROUNDS} rounds): a PATCH that answered 200 is in the deleted image's event`, async () => {
    const random = seededRandom(3);
    const renamedBeforeDelete = new Map<string, string>();
    const deletedIds: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { id } = await createImageOverHttp(svc.api, MEMBER, { name: 'before' });
      const name = `renamed-${round}`;
      const [patch, del] = await race(
        random,
        () => patchImage(svc.api, MEMBER, id, { name }),
        () => deleteImage(svc.api, MEMBER, id),
      );
      const where = `round ${round}: PATCH ${patch.status}, DELETE ${del.status}`;
      expect(del.status, where).toBe(204);
      deletedIds.push(id);
      expect([200, 404], where).toContain(patch.status);
      if (patch.status === 200) {
        expect(patch.body, where).toMatchObject({ id, name });
        renamedBeforeDelete.set(id, name);
      }
    }
    // The stop delivers every pending event to the events file.
    await svc.stop();
    const events = readFileSync(path.join(svc.dataDir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as DeleteEvent);
    for (const id of deletedIds) {
      const mine = events.filter((e) => e.imageId === id);
      expect(mine, `one image.delete event for ${id}`).toHaveLength(1);
      // A PATCH that reported success committed before the delete; one that lost got 404 and changed nothing.
      expect(mine[0]!.payload.name, `name in the delete event of ${id}`).toBe(renamedBeforeDelete.get(id) ?? 'before');
    }
  });
});

/** Runs `a` and `b` concurrently, one of them (at random) with a random head start; answers in the order a, b. */
async function race(
  random: () => number,
  a: () => Promise<Response>,
  b: () => Promise<Response>,
): Promise<[Awaited<ReturnType<typeof outcome>>, Awaited<ReturnType<typeof outcome>>]> {
  const aFirst = random() < 0.5;
  const run = async (fn: () => Promise<Response>, wait: boolean) => {
    if (wait) await headStart(random);
    return outcome(await fn());
  };
  return Promise.all([run(a, !aFirst), run(b, aFirst)]);
}

describe('upload racing DELETE', () => {
  let svc: InProcessService;
  const imagesDir = () => path.join(svc.dataDir, 'images');
  /** Every file in the store folder, data and temp alike. */
  const storeFiles = () => (existsSync(imagesDir()) ? readdirSync(imagesDir()) : []);

  beforeAll(async () => {
    svc = await startInProcessService();
  });
  afterAll(async () => {
    await svc?.close();
  });

  /** A body whose chunks are released one at a time by `release()`; `end()` closes it. */
  function gatedBody() {
    const encoder = new TextEncoder();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
    });
    return {
      stream,
      release: (text: string) => controller.enqueue(encoder.encode(text)),
      end: () => controller.close(),
    };
  }

  const put = (id: string, body: ReadableStream<Uint8Array> | string) =>
    fetch(`${svc.api}/images/${id}/file`, {
      method: 'PUT',
      headers: authHeaders(MEMBER, { 'Content-Type': 'application/octet-stream' }),
      body,
      duplex: 'half',
    } as RequestInit);

  /** Waits (bounded) until the store has started writing: a hidden temp file exists. */
  async function untilUploadInProgress(): Promise<void> {
    for (let i = 0; i < 2_000; i++) {
      if (storeFiles().some((name) => name.startsWith('.'))) return;
      await new Promise((done) => setTimeout(done, 5));
    }
    throw new Error('the upload never reached the data store');
  }

  it('an image deleted while its data streams in: DELETE 204, the upload answers 404, and no file is left', async () => {
    const { id } = await createImageOverHttp(svc.api, MEMBER);
    const body = gatedBody();
    const uploading = put(id, body.stream);
    body.release('first chunk of the image ');
    await untilUploadInProgress();
    const del = await deleteImage(svc.api, MEMBER, id);
    expect(del.status).toBe(204);
    body.release('and the rest of it');
    body.end();
    const res = await uploading;
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ itemNotFound: { code: 404 } });
    expect(storeFiles()).toEqual([]);
    expect((await fetch(`${svc.api}/images/${id}`, { headers: authHeaders(MEMBER) })).status).toBe(404);
  });

  it(`uploads and deletes at random moments (${ROUNDS} rounds): never an orphan file, never a live image without its data`, async () => {
    const random = seededRandom(4);
    for (let round = 0; round < ROUNDS; round++) {
      const { id } = await createImageOverHttp(svc.api, MEMBER);
      const data = `round ${round} `.repeat(1 + Math.floor(random() * 5_000));
      const [upload, del] = await race(
        random,
        () => put(id, data),
        () => deleteImage(svc.api, MEMBER, id),
      );
      const where = `round ${round}: PUT ${upload.status}, DELETE ${del.status}`;
      // The image was unprotected and live, so the DELETE wins whenever it runs; the upload either
      // landed before it (and the delete removed the file) or found the image gone (and removed its own).
      expect(del.status, where).toBe(204);
      expect([204, 404], where).toContain(upload.status);
      expect(storeFiles(), where).toEqual([]);
    }
  });

  it('an upload the client aborts leaves no file, and the image can still be uploaded and deleted', async () => {
    const { id } = await createImageOverHttp(svc.api, MEMBER);
    const body = gatedBody();
    const controller = new AbortController();
    const uploading = fetch(`${svc.api}/images/${id}/file`, {
      method: 'PUT',
      headers: authHeaders(MEMBER, { 'Content-Type': 'application/octet-stream' }),
      body: body.stream,
      duplex: 'half',
      signal: controller.signal,
    } as RequestInit);
    body.release('partial data');
    await untilUploadInProgress();
    controller.abort();
    await expect(uploading).rejects.toThrow();
    for (let i = 0; i < 2_000 && storeFiles().length > 0; i++) await new Promise((done) => setTimeout(done, 5));
    expect(storeFiles()).toEqual([]);
    // A client going away is not a server failure: nothing logged as an error.
    expect(svc.logs.filter((entry) => entry.level === 'error').map((entry) => entry.msg)).toEqual([]);
    // The aborted upload's request may still be winding down (409 "saving") for a moment after its temp file is gone.
    let retry = await put(id, 'complete data');
    for (let i = 0; i < 200 && retry.status === 409; i++) {
      await new Promise((done) => setTimeout(done, 25));
      retry = await put(id, 'complete data');
    }
    expect(retry.status).toBe(204);
    expect(storeFiles().filter((name) => name.includes(id))).toHaveLength(1);
    expect((await deleteImage(svc.api, MEMBER, id)).status).toBe(204);
    expect(storeFiles()).toEqual([]);
  });
});
