// The benchmark compares like with like: the raw baseline leaves exactly the rows the library leaves, and every server answers alike.
import { afterAll, describe, expect, it } from 'vitest';
import { dumpTables, fixedClock } from '../packages/sqlite/src/test-support/fixtures.js';
import { BENCH_PRINCIPAL, BENCH_PROJECT, BENCH_TOKEN, createWorkspace } from './support/database.js';
import { createLibraryDelete } from './support/library.js';
import { createRawDelete } from './support/raw-delete.js';
import { createBenchServer, listen, SERVER_KINDS } from './support/servers.js';

const workspace = createWorkspace();
afterAll(() => workspace.cleanup());

/** Hands out the given ids in order, so both sides name their job and event the same. */
function ids(...values: string[]): () => string {
  const queue = [...values];
  return () => {
    const next = queue.shift();
    if (next === undefined) throw new Error('ran out of ids');
    return next;
  };
}

/** Two copies of one seeded database: one for the library, one for the baseline. */
async function twins() {
  const template = await workspace.template(3);
  const library = workspace.fresh(template, 'equivalence-library');
  const baseline = workspace.fresh(template, 'equivalence-baseline');
  const clock = fixedClock();
  const now = clock.now();
  return {
    imageIds: template.imageIds,
    library,
    baseline,
    now,
    deleteImage: createLibraryDelete(library.db, {
      dataStore: null,
      clock,
      // The use case names the event (and the jobs, through the plan) before the store decides, so a refused delete uses an id too (never written).
      deleteImage: { newEventId: ids('event-1', 'event-2', 'event-3'), newJobId: ids('job-1', 'job-2', 'job-3') },
    }),
    rawDelete: createRawDelete(baseline.db, { now: () => now.getTime(), newId: ids('job-1', 'event-1') }),
    dispose() {
      library.dispose();
      baseline.dispose();
    },
  };
}

describe('the raw baseline transaction', () => {
  it('leaves the database exactly as DeleteImage.execute (worker null) does: image, children, job, outbox payload', async () => {
    const t = await twins();
    try {
      const before = dumpTables(t.baseline.db);
      const imageId = t.imageIds[1]!;

      expect((await t.deleteImage.execute({ imageId, principal: BENCH_PRINCIPAL }))._unsafeUnwrap()).toMatchObject({
        status: 'deleted',
        dataDeletionJobs: 1,
      });
      expect(t.rawDelete(imageId, BENCH_PROJECT)).toBe('deleted');

      expect(dumpTables(t.baseline.db)).not.toBe(before);
      expect(dumpTables(t.baseline.db)).toBe(dumpTables(t.library.db));
      const event = t.baseline.db.prepare('SELECT id, image_id, payload FROM outbox_events').get() as {
        id: string;
        image_id: string;
        payload: string;
      };
      expect(event).toMatchObject({ id: 'event-1', image_id: imageId });
      expect(JSON.parse(event.payload)).toMatchObject({
        id: imageId,
        status: 'deleted',
        deleted: true,
        deleted_at: t.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
    } finally {
      t.dispose();
    }
  });

  it('refuses what the library refuses, changing nothing: an image already deleted, a protected image', async () => {
    const t = await twins();
    try {
      const [deleted, protectedId] = t.imageIds as [string, string];
      await t.deleteImage.execute({ imageId: deleted, principal: BENCH_PRINCIPAL });
      t.rawDelete(deleted, BENCH_PROJECT);
      for (const db of [t.library.db, t.baseline.db]) db.prepare('UPDATE images SET protected = 1 WHERE id = ?').run(protectedId);
      const settled = dumpTables(t.library.db);

      expect((await t.deleteImage.execute({ imageId: deleted, principal: BENCH_PRINCIPAL }))._unsafeUnwrapErr().kind).toBe('ImageNotFound');
      expect(t.rawDelete(deleted, BENCH_PROJECT)).toBe('not-found');
      expect((await t.deleteImage.execute({ imageId: protectedId, principal: BENCH_PRINCIPAL }))._unsafeUnwrapErr().kind).toBe(
        'ImageProtected',
      );
      expect(t.rawDelete(protectedId, BENCH_PROJECT)).toBe('protected');

      expect(dumpTables(t.library.db)).toBe(settled);
      expect(dumpTables(t.baseline.db)).toBe(settled);
    } finally {
      t.dispose();
    }
  });
});

describe.each(SERVER_KINDS)('the %s server', (kind) => {
  it('answers the benchmark request with 204, then 404 for the same image, and 401 without the token', async () => {
    const template = await workspace.template(3);
    const fresh = workspace.fresh(template, `equivalence-${kind}`);
    const server = await listen(createBenchServer(kind, fresh.db));
    try {
      const url = `${server.origin}/v2/images/${fresh.imageIds[0]}`;
      const del = (headers: Record<string, string>) => fetch(url, { method: 'DELETE', headers }).then((res) => res.status);
      expect(await del({})).toBe(401);
      expect(await del({ 'x-auth-token': BENCH_TOKEN })).toBe(204);
      expect(await del({ 'x-auth-token': BENCH_TOKEN })).toBe(404);
      expect(fresh.db.prepare("SELECT count(*) FROM outbox_events WHERE type = 'image.delete'").pluck().get()).toBe(1);
    } finally {
      await server.close();
      fresh.dispose();
    }
  });
});
