// Failures in the middle of a relay run: the broker closing the connection, the network cutting it, confirms that never come, a channel error. Nothing is lost; duplicates keep their id.
import { afterEach, describe, expect, it } from 'vitest';
import { openRelayHarness, type RelayHarness } from './test-support/relay-harness.js';
import { brokerUnreachable, forceCloseConnections, rabbitmqctlUnusable, skipNote, withAdminChannel } from './test-support/test-broker.js';

const rabbitmqctlMissing = brokerUnreachable === null ? await rabbitmqctlUnusable() : 'broker unreachable';
if (brokerUnreachable === null && rabbitmqctlMissing !== null) {
  console.warn(
    `\n[@image-catalog/amqp] SKIPPING the rabbitmqctl close_connection test: rabbitmqctl is not usable here (${rabbitmqctlMissing}).\n`,
  );
}

let h: RelayHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Every outbox event was received at least once, nothing else was, and copies of one event are identical. */
async function expectNothingLost(harness: RelayHarness, committed: readonly string[]): Promise<void> {
  expect(await harness.outbox({ delivered: false })).toEqual([]);
  const received = await harness.consumer.drain();
  expect(new Set(received.map((r) => r.messageId))).toEqual(new Set(committed));
  const first = new Map<string, string>();
  for (const { messageId, message } of received) {
    const body = message.content.toString('utf8');
    expect(body, `copies of ${messageId}`).toBe(first.get(messageId) ?? body);
    first.set(messageId, body);
  }
}

async function eventually(check: () => void, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (failure) {
      if (Date.now() > until) throw failure;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe.skipIf(brokerUnreachable !== null)(`AmqpEventPublisher: failures mid-run${skipNote}`, () => {
  it.skipIf(rabbitmqctlMissing !== null)(
    'the broker force-closes the connection (rabbitmqctl close_connection) during a batch: that batch fails, the next run reconnects and delivers it',
    async () => {
      h = await openRelayHarness({ relay: { batchSize: 5 } });
      const committed = await h.deleteImages(15);
      const harness = h;
      let forced = 0;
      // Second batch: its frames wait in the proxy while the broker closes the connection under it.
      harness.interceptNextBatch(async (_events, publish) => publish());
      harness.interceptNextBatch(async (_events, publish) => {
        harness.proxy.hold('requests');
        const pending = publish();
        forced = await forceCloseConnections(harness.connectionName);
        const result = await pending;
        harness.proxy.release('requests');
        return result;
      });

      const firstRun = (await h.relay.runOnce())._unsafeUnwrap();
      expect(forced).toBe(1);
      expect(firstRun).toMatchObject({ claimed: 10, delivered: 5, failed: 5, stoppedBecause: 'publish-failed' });
      const failedBatch = h.batches[1]!;
      const pending = await h.outbox({ delivered: false });
      expect(pending.filter((e) => e.attempts === 1).map((e) => e.id)).toEqual(failedBatch);

      h.clock.advanceSeconds(1);
      expect((await h.relay.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 10, failed: 0, stoppedBecause: 'drained' });
      await expectNothingLost(h, committed);
      expect(h.proxy.connections).toBe(1);
    },
  );

  it('the network cuts the connection after the broker routed a batch but before its confirms arrived: redelivered with the same ids', async () => {
    h = await openRelayHarness({ relay: { batchSize: 5 } });
    const committed = await h.deleteImages(12);
    const harness = h;
    // Second batch (the first one opened the connection): the broker's confirms are held in the proxy.
    harness.interceptNextBatch(async (_events, publish) => publish());
    harness.interceptNextBatch(async (events, publish) => {
      harness.proxy.hold('replies');
      const pending = publish();
      // The consumer has them: the broker took the batch; only its confirms are stuck in the proxy.
      await harness.consumer.waitFor(5 + events.length);
      harness.proxy.cut();
      return pending;
    });

    expect((await h.relay.runOnce())._unsafeUnwrap()).toMatchObject({
      claimed: 10,
      delivered: 5,
      failed: 5,
      stoppedBecause: 'publish-failed',
    });
    h.proxy.release('replies');
    h.clock.advanceSeconds(1);
    expect((await h.relay.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 7, failed: 0, stoppedBecause: 'drained' });

    await expectNothingLost(h, committed);
    // The second batch twice: once before the cut, once retried; the rest once.
    expect(h.consumer.ids()).toEqual([...committed.slice(0, 10), ...committed.slice(5)]);
  });

  it('confirms that never come fail the batch after confirmTimeoutMs; the next run reconnects and delivers', async () => {
    h = await openRelayHarness({ relay: { batchSize: 5 }, publisher: { confirmTimeoutMs: 400 } });
    const committed = await h.deleteImages(2);
    expect((await h.relay.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 2 });
    committed.push(...(await h.deleteImages(5)));
    h.proxy.hold('replies');

    const started = Date.now();
    const run = (await h.relay.runOnce())._unsafeUnwrap();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run).toMatchObject({ claimed: 5, delivered: 0, failed: 5, stoppedBecause: 'publish-failed' });
    // The publisher dropped the connection the confirms were stuck on.
    await eventually(() => expect(h!.proxy.connections).toBe(0));

    h.proxy.release('replies');
    h.clock.advanceSeconds(1);
    expect((await h.relay.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 5, failed: 0 });
    await expectNothingLost(h, committed);
    // The timed-out batch had reached the broker: it arrives twice, with the same ids.
    expect(h.consumer.ids()).toEqual([...committed, ...committed.slice(2)]);
  });

  it('a channel error (the exchange deleted between runs) fails that batch cleanly; the next run redeclares and delivers', async () => {
    h = await openRelayHarness({ relay: { batchSize: 5 } });
    const harness = h;
    const before = await h.deleteImages(2);
    expect((await h.relay.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 2 });

    // Deleting the exchange also removes the consumer's binding; the publisher still has its channel open.
    await withAdminChannel((ch) => ch.deleteExchange(harness.consumer.exchange));
    const after = await h.deleteImages(3);
    const failing = (await h.relay.runOnce())._unsafeUnwrap();
    expect(failing).toMatchObject({ claimed: 3, delivered: 0, failed: 3, stoppedBecause: 'publish-failed' });

    // Reconnecting redeclares the exchange; the consumer binds again, and the events go out.
    h.clock.advanceSeconds(1);
    const unroutable = (await h.relay.runOnce())._unsafeUnwrap();
    expect(unroutable).toMatchObject({ failed: 3 });
    await h.consumer.bind();
    h.clock.advanceSeconds(5);
    expect((await h.relay.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 3, failed: 0 });
    await expectNothingLost(h, [...before, ...after]);
  });
});
