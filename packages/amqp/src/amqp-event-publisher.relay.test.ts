// End to end: deletes committed in the catalog reach a consumer on RabbitMQ through the outbox relay, each exactly once, and nothing else does.
import { randomUUID } from 'node:crypto';
import { adminPrincipal, projectMember } from '@image-catalog/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { openRelayHarness, type RelayHarness } from './test-support/relay-harness.js';
import { brokerUnreachable, skipNote } from './test-support/test-broker.js';

let h: RelayHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe.skipIf(brokerUnreachable !== null)(`AmqpEventPublisher behind the OutboxRelay${skipNote}`, () => {
  it('a consumer receives exactly the events of the committed deletes, in commit order, once each', async () => {
    h = await openRelayHarness({ relay: { batchSize: 4 } });
    const committed = await h.deleteImages(10);

    // Deletes that do not commit write no event: protected, not found, not allowed, already deleted.
    const protectedId = randomUUID();
    (await h.store.catalog.createImage({ id: protectedId, owner: 'p1', status: 'active', protected: true }, h.clock.now()))._unsafeUnwrap();
    expect((await h.deleteImage.execute({ imageId: protectedId, principal: adminPrincipal() }))._unsafeUnwrapErr().kind).toBe(
      'ImageProtected',
    );
    expect((await h.deleteImage.execute({ imageId: randomUUID(), principal: adminPrincipal() }))._unsafeUnwrapErr().kind).toBe(
      'ImageNotFound',
    );
    const othersId = randomUUID();
    (
      await h.store.catalog.createImage({ id: othersId, owner: 'p2', status: 'active', visibility: 'public' }, h.clock.now())
    )._unsafeUnwrap();
    expect((await h.deleteImage.execute({ imageId: othersId, principal: projectMember('p1') })).isErr()).toBe(true);
    const deletedImage = (await h.outbox())[0]!.imageId;
    expect((await h.deleteImage.execute({ imageId: deletedImage, principal: adminPrincipal() })).isErr()).toBe(true);

    const outbox = await h.outbox();
    expect(outbox.map((e) => e.id)).toEqual(committed);

    expect((await h.relay.runOnce())._unsafeUnwrap()).toMatchObject({
      claimed: 10,
      delivered: 10,
      failed: 0,
      abandoned: 0,
      batches: 3,
      stoppedBecause: 'drained',
    });
    const received = await h.consumer.drain();

    expect(received.map((r) => r.messageId)).toEqual(committed);
    for (const [i, { body }] of received.entries()) {
      const oslo = JSON.parse((body as Record<string, string>)['oslo.message']!);
      expect(oslo).toMatchObject({
        message_id: committed[i],
        event_type: 'image.delete',
        payload: { id: outbox[i]!.imageId, deleted: true, status: 'deleted' },
      });
    }
    expect(await h.outbox({ delivered: false })).toEqual([]);

    // A second run has nothing to deliver, and the consumer gets nothing more.
    expect((await h.relay.runOnce())._unsafeUnwrap().claimed).toBe(0);
    expect((await h.consumer.drain()).length).toBe(10);
  });

  it('events that could not be published stay in the outbox and go out, once, when the broker takes them', async () => {
    h = await openRelayHarness({ relay: { batchSize: 5 } });
    const first = await h.deleteImages(3);
    await h.consumer.unbind();

    expect((await h.relay.runOnce())._unsafeUnwrap()).toMatchObject({
      claimed: 3,
      delivered: 0,
      failed: 3,
      stoppedBecause: 'publish-failed',
    });
    expect((await h.outbox({ delivered: false })).map((e) => [e.id, e.attempts])).toEqual(first.map((id) => [id, 1]));

    await h.consumer.bind();
    const second = await h.deleteImages(2);
    h.clock.advanceSeconds(1);
    expect((await h.relay.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 5, failed: 0, stoppedBecause: 'drained' });
    expect((await h.consumer.drain()).map((r) => r.messageId)).toEqual([...first, ...second]);
  });
});
