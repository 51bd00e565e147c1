// The contract of EventOutbox every storage adapter must pass: events claimed in commit order, leased, delivered, retried.
import type { OutboxEvent } from '@image-catalog/core';
import { describe, expect, it } from 'vitest';
import { expectOk } from './expect-result.js';
import { createFixtureImage, deleteThroughRepository } from './harness-helpers.js';
import { secondsAfter, TEST_EPOCH } from './fixtures/test-clock.js';
import type { StorageHarness, StorageHarnessFactory } from './storage-harness.js';
import { useHarness } from './use-harness.js';

const T1 = secondsAfter(TEST_EPOCH, 10);
const T2 = secondsAfter(TEST_EPOCH, 20);
const T3 = secondsAfter(TEST_EPOCH, 30);
const LEASE = 30;

/** Creates and deletes an image: the outbox then holds its `image.delete` event. */
async function seedEvent(h: StorageHarness, deletedAt: Date): Promise<OutboxEvent> {
  return (await deleteThroughRepository(h, await createFixtureImage(h), deletedAt)).event;
}

const ids = (events: readonly OutboxEvent[]) => events.map((e) => e.id);

/** Registers the EventOutbox contract for an adapter. Events only come into being through `deleteImage`. */
export function describeEventOutboxContract(name: string, factory: StorageHarnessFactory): void {
  describe(`${name}: EventOutbox contract`, () => {
    const h = useHarness(factory);
    const claim = (now: Date, limit = 10) => expectOk(h().outbox.claimPending({ now, limit, leaseSeconds: LEASE }));
    const event = async (id: string) => (await expectOk(h().outbox.listEvents({}))).find((e) => e.id === id);

    it('a delete leaves one undelivered event, claimable from the moment it occurred', async () => {
      const written = await seedEvent(h(), T1);
      expect(await expectOk(h().outbox.listEvents({ delivered: false }))).toEqual([written]);
      expect(await claim(T1)).toEqual([written]);
    });

    it('claimPending leases: a claimed event is offered again only when its lease has run out', async () => {
      const written = await seedEvent(h(), T1);
      expect(ids(await claim(T1))).toEqual([written.id]);
      expect(await claim(T1)).toEqual([]);
      expect(await claim(secondsAfter(T1, LEASE - 1))).toEqual([]);
      expect(ids(await claim(secondsAfter(T1, LEASE)))).toEqual([written.id]);
    });

    it('claimPending hands out events in commit order and honours limit', async () => {
      const a = await seedEvent(h(), T1);
      const b = await seedEvent(h(), secondsAfter(T1, 1));
      const c = await seedEvent(h(), secondsAfter(T1, 2));
      expect(await claim(T3, 0)).toEqual([]);
      expect(ids(await claim(T3, 2))).toEqual([a.id, b.id]);
      expect(ids(await claim(T3, 2))).toEqual([c.id]);
      expect(await claim(T3, 2)).toEqual([]);
    });

    it('concurrent claims never hand one event out twice within its lease', async () => {
      const written = await Promise.all([seedEvent(h(), T1), seedEvent(h(), T1), seedEvent(h(), T1)]);
      const batches = await Promise.all(Array.from({ length: 8 }, () => claim(T2, 1)));
      const claimed = batches.flatMap(ids);
      expect(claimed).toHaveLength(3);
      expect([...claimed].sort()).toEqual(ids(written).sort());
    });

    it('markDelivered sets deliveredAt once: delivered events are never offered again', async () => {
      const a = await seedEvent(h(), T1);
      const b = await seedEvent(h(), T1);
      await claim(T1);
      await expectOk(h().outbox.markDelivered([a.id], T2));
      expect(await event(a.id)).toEqual({ ...a, deliveredAt: T2 });
      expect(ids(await claim(secondsAfter(T3, 3600)))).toEqual([b.id]);

      await expectOk(h().outbox.markDelivered([a.id, b.id], T3));
      expect((await event(a.id))?.deliveredAt).toEqual(T2);
      expect((await event(b.id))?.deliveredAt).toEqual(T3);
      expect(await claim(secondsAfter(T3, 7200))).toEqual([]);
    });

    it('markFailed counts the attempt and offers the event again at retryAt', async () => {
      const written = await seedEvent(h(), T1);
      await claim(T1);
      const retryAt = secondsAfter(T1, 300);
      await expectOk(h().outbox.markFailed(written.id, { now: T1, error: 'publisher down', retryAt }));
      expect(await event(written.id)).toEqual({ ...written, attempts: 1 });
      expect(await claim(secondsAfter(retryAt, -1))).toEqual([]);
      expect(await claim(retryAt)).toEqual([{ ...written, attempts: 1 }]);
    });

    it('unknown ids are ignored, and a delivered event is not marked failed', async () => {
      const written = await seedEvent(h(), T1);
      await expectOk(h().outbox.markDelivered([globalThis.crypto.randomUUID()], T2));
      await expectOk(h().outbox.markFailed(globalThis.crypto.randomUUID(), { now: T2, error: 'x', retryAt: T3 }));
      expect(await expectOk(h().outbox.listEvents({}))).toEqual([written]);

      await expectOk(h().outbox.markDelivered([written.id], T2));
      await expectOk(h().outbox.markFailed(written.id, { now: T3, error: 'late failure', retryAt: T3 }));
      expect(await event(written.id)).toEqual({ ...written, deliveredAt: T2 });
    });

    it('listEvents filters by image and by delivery, lists in commit order and honours limit', async () => {
      const a = await seedEvent(h(), T1);
      const b = await seedEvent(h(), secondsAfter(T1, 1));
      const c = await seedEvent(h(), secondsAfter(T1, 2));
      await expectOk(h().outbox.markDelivered([b.id], T2));

      expect(ids(await expectOk(h().outbox.listEvents({})))).toEqual([a.id, b.id, c.id]);
      expect(ids(await expectOk(h().outbox.listEvents({ imageId: c.imageId })))).toEqual([c.id]);
      expect(ids(await expectOk(h().outbox.listEvents({ delivered: true })))).toEqual([b.id]);
      expect(ids(await expectOk(h().outbox.listEvents({ delivered: false })))).toEqual([a.id, c.id]);
      expect(ids(await expectOk(h().outbox.listEvents({ limit: 2 })))).toEqual([a.id, b.id]);
    });
  });
}
