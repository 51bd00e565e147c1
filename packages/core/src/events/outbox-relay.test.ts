// The outbox relay over core's in-test storage: order, stable ids, retries, leases, partial failures, batches.
import { randomUUID } from 'node:crypto';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeleteImage } from '../delete-image/delete-image.use-case.js';
import type { OutboxEvent } from '../ports/event-outbox.port.js';
import { publishFailed, type EventPublisher, type PublishError } from '../ports/event-publisher.port.js';
import { storageUnavailable } from '../ports/storage-error.js';
import { defaultDeletePolicy } from '../policy/default-delete-policy.js';
import { adminPrincipal } from '../test-support/principals.js';
import { RecordingPublisher } from '../test-support/recording-publisher.js';
import { TestClock } from '../test-support/test-clock.js';
import { createTestStorage } from '../test-support/test-storage.js';
import { CallbackEventPublisher } from './callback-event-publisher.js';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';

const admin = adminPrincipal();

const noJitter: OutboxRelayOptions = { backoff: { random: () => 0 } };

function setup() {
  const clock = new TestClock();
  const storage = createTestStorage();
  const deleteImage = new DeleteImage(storage.images, defaultDeletePolicy, clock, null);
  const publisher = new RecordingPublisher();
  const relay = (options: OutboxRelayOptions = {}, to: EventPublisher = publisher) =>
    new OutboxRelay(storage.outbox, to, clock, undefined, { ...noJitter, ...options });

  /** Deletes `count` new images; answers their event ids in commit order. */
  async function deleteImages(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      storage.seed({ id, owner: 'p1', status: 'active' }, clock.now());
      ids.push((await deleteImage.execute({ imageId: id, principal: admin }))._unsafeUnwrap().eventId);
    }
    return ids;
  }
  async function undelivered() {
    return (await storage.outbox.listEvents({ delivered: false }))._unsafeUnwrap();
  }
  return { clock, storage, publisher, relay, deleteImages, undelivered };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('OutboxRelay', () => {
  it('delivers every event once, in commit order, with its stable id, and records it as delivered', async () => {
    const h = setup();
    const ids = await h.deleteImages(3);
    const relay = h.relay();

    expect((await relay.runOnce())._unsafeUnwrap()).toMatchObject({
      claimed: 3,
      delivered: 3,
      failed: 0,
      abandoned: 0,
      stoppedBecause: 'drained',
    });
    expect(h.publisher.publishedIds()).toEqual(ids);
    expect(h.publisher.published[0]).toMatchObject({ type: 'image.delete', payload: { deleted: true, status: 'deleted' } });
    expect(await h.undelivered()).toEqual([]);

    expect((await relay.runOnce())._unsafeUnwrap().claimed).toBe(0);
    expect(h.publisher.publishedIds()).toEqual(ids);
  });

  it('retries a failed publish after a backoff, with the same ids', async () => {
    const h = setup();
    const ids = await h.deleteImages(2);
    const relay = h.relay();
    h.publisher.failNext(1);

    expect((await relay.runOnce())._unsafeUnwrap()).toMatchObject({
      claimed: 2,
      delivered: 0,
      failed: 2,
      stoppedBecause: 'publish-failed',
    });
    expect(h.publisher.published).toEqual([]);
    const pending = await h.undelivered();
    expect(pending.map((e) => e.attempts)).toEqual([1, 1]);

    // Backoff: 500 ms after the first failure (no jitter).
    expect((await relay.runOnce())._unsafeUnwrap().claimed).toBe(0);
    h.clock.advanceSeconds(0.5);
    expect((await relay.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 2 });
    expect(h.publisher.publishedIds()).toEqual(ids);
  });

  it('redelivers with the same id after a crash between publish and markDelivered', async () => {
    const h = setup();
    const ids = await h.deleteImages(2);
    // The process "dies" after publishing: the acknowledgement never reaches the outbox.
    h.storage.failNext('markDelivered', storageUnavailable());
    const before = h.relay({ leaseSeconds: 60 });
    expect((await before.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 0, abandoned: 2, stoppedBecause: 'not-recorded' });
    expect(h.publisher.publishedIds()).toEqual(ids);

    // A new relay after the restart: nothing before the lease runs out, then the same events again.
    const after = h.relay({ leaseSeconds: 60 });
    expect((await after.runOnce())._unsafeUnwrap().claimed).toBe(0);
    h.clock.advanceSeconds(60);
    expect((await after.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 2 });
    expect(h.publisher.publishedIds()).toEqual([...ids, ...ids]);
    expect(await h.undelivered()).toEqual([]);
  });

  it('redelivers after a relay died mid-publish (the state is in the outbox)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const h = setup();
    const ids = await h.deleteImages(1);
    let reached!: (ids: string[]) => void;
    const publishedBeforeDying = new Promise<string[]>((resolve) => {
      reached = resolve;
    });
    // Publishes, then never answers: the relay (and its process) is gone before it can record anything.
    const dying: EventPublisher = {
      publish(events) {
        reached(events.map((e) => e.id));
        return new ResultAsync(new Promise<never>(() => {}));
      },
    };
    void h.relay({ leaseSeconds: 30 }, dying).runOnce();
    expect(await publishedBeforeDying).toEqual(ids);

    const restarted = h.relay({ leaseSeconds: 30 });
    expect((await restarted.runOnce())._unsafeUnwrap().claimed).toBe(0);
    h.clock.advanceSeconds(30);
    expect((await restarted.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 1 });
    expect(h.publisher.publishedIds()).toEqual(ids);
  });

  it('abandons a publish that does not answer in time; the lease brings the events back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const h = setup();
    const ids = await h.deleteImages(1);
    const hanging: EventPublisher = { publish: () => new ResultAsync(new Promise<never>(() => {})) };
    const running = h.relay({ leaseSeconds: 60, publishTimeoutMs: 5_000 }, hanging).runOnce();
    await vi.advanceTimersByTimeAsync(5_000);
    expect((await running)._unsafeUnwrap()).toMatchObject({ claimed: 1, abandoned: 1, delivered: 0, stoppedBecause: 'publish-failed' });
    expect((await h.undelivered())[0]!.attempts).toBe(0);

    h.clock.advanceSeconds(60);
    expect((await h.relay().runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 1 });
    expect(h.publisher.publishedIds()).toEqual(ids);
  });

  it('records only the events a publisher reports as failed; the others count as delivered', async () => {
    const h = setup();
    const ids = await h.deleteImages(3);
    const received: string[] = [];
    let poisoned = true;
    const consumer = new CallbackEventPublisher((event: OutboxEvent) => {
      if (poisoned && event.id === ids[1]) throw new Error('consumer cannot take it yet');
      received.push(event.id);
    });
    const relay = h.relay({}, consumer);
    expect((await relay.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 2, failed: 1 });
    expect((await h.undelivered()).map((e) => e.id)).toEqual([ids[1]]);

    poisoned = false;
    h.clock.advanceSeconds(0.5);
    expect((await relay.runOnce())._unsafeUnwrap()).toMatchObject({ delivered: 1 });
    expect(received.sort()).toEqual([...ids].sort());
  });

  it('treats a publisher that throws as a failed publish', async () => {
    const h = setup();
    await h.deleteImages(1);
    const throwing: EventPublisher = {
      publish() {
        throw new Error('defect');
      },
    };
    expect((await h.relay({}, throwing).runOnce())._unsafeUnwrap()).toMatchObject({ failed: 1 });
    expect((await h.undelivered())[0]).toMatchObject({ attempts: 1 });
  });

  it('keeps a failing event in the outbox forever (with growing backoff), never dropping it', async () => {
    const h = setup();
    const [id] = await h.deleteImages(1);
    const failing: EventPublisher = { publish: () => errAsync<void, PublishError>(publishFailed('down')) };
    const relay = h.relay({ backoff: { random: () => 0, baseMs: 1000, maxMs: 4000 } }, failing);
    const waits = [0.5, 1, 2, 2, 2];
    for (const wait of waits) {
      expect((await relay.runOnce())._unsafeUnwrap().failed).toBe(1);
      h.clock.advanceSeconds(wait);
    }
    expect(await h.undelivered()).toMatchObject([{ id, attempts: waits.length }]);
    expect((await h.relay().runOnce())._unsafeUnwrap().delivered).toBe(1);
  });

  it('drains in batches, at most maxEventsPerRun per run', async () => {
    const h = setup();
    const ids = await h.deleteImages(5);
    const relay = h.relay({ batchSize: 2, maxEventsPerRun: 3 });
    expect((await relay.runOnce())._unsafeUnwrap()).toMatchObject({
      claimed: 3,
      delivered: 3,
      batches: 2,
      stoppedBecause: 'max-events-per-run',
    });
    expect((await relay.runOnce())._unsafeUnwrap()).toMatchObject({ claimed: 2, delivered: 2, batches: 1, stoppedBecause: 'drained' });
    expect(h.publisher.batches.map((b) => b.length)).toEqual([2, 1, 2]);
    expect(h.publisher.publishedIds()).toEqual(ids);
  });

  it('answers the storage error when it cannot claim, and never throws', async () => {
    const h = setup();
    h.storage.failNext('claimPending', storageUnavailable());
    expect((await h.relay().runOnce())._unsafeUnwrapErr().kind).toBe('StorageUnavailable');
  });

  it('joins a run in flight instead of starting a second one', async () => {
    const h = setup();
    await h.deleteImages(1);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const slow: EventPublisher = {
      publish() {
        calls++;
        return ResultAsync.fromSafePromise(gate).andThen(() => okAsync(undefined));
      },
    };
    const relay = h.relay({}, slow);
    const a = relay.runOnce();
    const b = relay.runOnce();
    release();
    expect((await a)._unsafeUnwrap()).toEqual((await b)._unsafeUnwrap());
    expect(calls).toBe(1);
  });
});

describe('OutboxRelay: failure causes in a pino log', () => {
  it('logs claim, record and publish failures under err, with message and stack', async () => {
    const h = setup();
    await h.deleteImages(1);
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    let failPublish = true;
    const flaky: EventPublisher = {
      publish: (events) =>
        failPublish
          ? ((failPublish = false), errAsync(publishFailed('publish failed', new Error('broker closed the channel'))))
          : h.publisher.publish(events),
    };
    const relay = new OutboxRelay(h.storage.outbox, flaky, h.clock, logger, noJitter);

    h.storage.failNext('claimPending', storageUnavailable(new Error('connect ECONNREFUSED 127.0.0.1:5432')));
    await relay.runOnce();
    await relay.runOnce();
    h.clock.advanceSeconds(1);
    h.storage.failNext('markDelivered', storageUnavailable(new Error('database is locked')));
    await relay.runOnce();

    const parsed = lines.map((line) => JSON.parse(line) as { msg: string; err?: { message?: string; stack?: string } });
    for (const [msg, cause] of [
      ['outbox relay run stopped: could not claim events', 'connect ECONNREFUSED 127.0.0.1:5432'],
      ['event delivery failed; will retry', 'broker closed the channel'],
      ['could not record delivered events; they will be delivered again', 'database is locked'],
    ] as const) {
      const err = parsed.find((l) => l.msg === msg)?.err;
      expect(err?.message, msg).toBe(cause);
      expect(err?.stack, msg).toContain(cause);
    }
    expect(parsed.some((l) => 'cause' in l)).toBe(false);
  });
});
