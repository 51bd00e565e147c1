// DeleteImage's onCommitted hook: told once per committed delete, before the inline data deletion; never for a refused one; a throwing hook changes nothing.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DataDeletionWorker } from '../data-deletion/data-deletion-worker.js';
import { defaultDeletePolicy } from '../policy/default-delete-policy.js';
import { adminPrincipal, projectReader } from '../test-support/principals.js';
import { recordingLogger } from '../test-support/recording-logger.js';
import { TestClock } from '../test-support/test-clock.js';
import { TestDataStore } from '../test-support/test-data-store.js';
import { createTestStorage } from '../test-support/test-storage.js';
import { DeleteImage, type DeleteCommitted, type DeleteImageOptions } from './delete-image.use-case.js';

const admin = adminPrincipal();

function setup(options: Omit<DeleteImageOptions, 'onCommitted'>, onCommitted: (committed: DeleteCommitted, dataLeft: number) => void) {
  const clock = new TestClock();
  const storage = createTestStorage();
  const data = new TestDataStore();
  const { logger, entries } = recordingLogger();
  const worker = new DataDeletionWorker(data, storage.jobs, clock);
  const deleteImage = new DeleteImage(storage.images, defaultDeletePolicy, clock, worker, logger, {
    ...options,
    onCommitted: (committed) => onCommitted(committed, data.urls().length),
  });
  function seed(locations: number) {
    const id = randomUUID();
    const urls = Array.from({ length: locations }, () => data.newUrl(id));
    for (const url of urls) data.put(url);
    storage.seed({ id, owner: 'p1', status: 'active', locations: urls.map((url) => ({ url })) }, clock.now());
    return id;
  }
  return { clock, data, entries, deleteImage, seed };
}

describe('DeleteImage onCommitted', () => {
  it('delayed mode: tells the image, status, event and when its jobs become due', async () => {
    const heard: DeleteCommitted[] = [];
    const h = setup({ delayedDelete: { delaySeconds: 90 } }, (c) => heard.push(c));
    const id = h.seed(2);
    const deleted = (await h.deleteImage.execute({ imageId: id, principal: admin }))._unsafeUnwrap();
    expect(heard).toEqual([
      { imageId: id, status: 'pending_delete', eventId: deleted.eventId, jobsDueAt: new Date(h.clock.now().getTime() + 90_000) },
    ]);
  });

  it('immediate mode: is told before the inline data deletion runs; jobsDueAt is the inline lease end; null without data', async () => {
    const heard: [DeleteCommitted, number][] = [];
    const h = setup({ inlineLeaseSeconds: 45 }, (c, dataLeft) => heard.push([c, dataLeft]));
    const withData = h.seed(1);
    await h.deleteImage.execute({ imageId: withData, principal: admin });
    expect(heard[0]).toEqual([
      expect.objectContaining({ imageId: withData, status: 'deleted', jobsDueAt: new Date(h.clock.now().getTime() + 45_000) }),
      1,
    ]);
    expect(h.data.urls()).toEqual([]);

    const withoutData = h.seed(0);
    await h.deleteImage.execute({ imageId: withoutData, principal: admin });
    expect(heard[1]![0]).toMatchObject({ imageId: withoutData, status: 'deleted', jobsDueAt: null });
  });

  it('is not told of refused deletes', async () => {
    const heard: DeleteCommitted[] = [];
    const h = setup({}, (c) => heard.push(c));
    const id = h.seed(1);
    expect((await h.deleteImage.execute({ imageId: id, principal: projectReader('p1') }))._unsafeUnwrapErr().kind).toBe('DeleteForbidden');
    expect((await h.deleteImage.execute({ imageId: randomUUID(), principal: admin }))._unsafeUnwrapErr().kind).toBe('ImageNotFound');
    expect(heard).toEqual([]);
  });

  it('a hook that throws is logged; the delete still succeeds and its data is still deleted', async () => {
    const h = setup({}, () => {
      throw new Error('hook defect');
    });
    const id = h.seed(1);
    const deleted = await h.deleteImage.execute({ imageId: id, principal: admin });
    expect(deleted._unsafeUnwrap()).toMatchObject({ status: 'deleted', inlineDataDeletion: { done: 1 } });
    expect(h.data.urls()).toEqual([]);
    expect(h.entries.find((e) => e.msg === 'DeleteImage: onCommitted hook threw')).toMatchObject({
      level: 'error',
      obj: { imageId: id, err: expect.any(Error) },
    });
  });
});
