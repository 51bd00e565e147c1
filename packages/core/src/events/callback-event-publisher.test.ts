import { describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../ports/event-outbox.port.js';
import { CallbackEventPublisher } from './callback-event-publisher.js';

const event = (id: string) => ({ id }) as OutboxEvent;

describe('CallbackEventPublisher', () => {
  it('calls back once per event, in order, awaiting each', async () => {
    const seen: string[] = [];
    const publisher = new CallbackEventPublisher(async (e) => {
      await Promise.resolve();
      seen.push(e.id);
    });
    expect((await publisher.publish([event('a'), event('b')])).isOk()).toBe(true);
    expect(seen).toEqual(['a', 'b']);
  });

  it('turns throws and rejections into PublishFailed naming only the failed events', async () => {
    const seen: string[] = [];
    const publisher = new CallbackEventPublisher((e) => {
      if (e.id === 'b') throw new Error('sync');
      if (e.id === 'd') return Promise.reject(new Error('async'));
      seen.push(e.id);
    });
    const failure = (await publisher.publish(['a', 'b', 'c', 'd'].map(event)))._unsafeUnwrapErr();
    expect(failure).toMatchObject({
      kind: 'PublishFailed',
      failedEventIds: ['b', 'd'],
      message: 'event callback failed for 2 of 4 events',
    });
    expect((failure.cause as Error).message).toBe('sync');
    expect(seen).toEqual(['a', 'c']);
  });
});
