import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toNotificationPayload, type OutboxEvent } from '@image-catalog/core';
import { newImageRecord } from '@image-catalog/core/authoring';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonLinesEventPublisher } from './json-lines-event-publisher.js';

let base: string;

beforeEach(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'image-catalog-events-'));
});

afterEach(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

function event(n: number): OutboxEvent {
  const imageId = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const deletedAt = new Date(Date.UTC(2024, 4, 1, 12, 0, n, 250));
  const image = {
    ...newImageRecord({ id: imageId, owner: 'p1', name: `img ${n}` }, new Date(Date.UTC(2024, 0, 1))),
    status: 'deleted' as const,
    deleted: true,
    deletedAt,
  };
  return {
    id: `evt-${n}`,
    type: 'image.delete',
    imageId,
    payload: toNotificationPayload(image),
    occurredAt: deletedAt,
    deliveredAt: null,
    attempts: 0,
  };
}

async function readLines(file: string): Promise<string[]> {
  return (await fs.readFile(file, 'utf8')).split('\n').filter((line) => line.length > 0);
}

describe('JsonLinesEventPublisher', () => {
  it('creates missing folders and appends one JSON line per event, with a Glance-style envelope', async () => {
    const file = path.join(base, 'a', 'b', 'events.jsonl');
    const publisher = new JsonLinesEventPublisher({ path: file, publisherId: 'image.test-host' });
    expect((await publisher.publish([event(1), event(2)])).isOk()).toBe(true);
    expect((await publisher.publish([event(3)])).isOk()).toBe(true);

    const records = (await readLines(file)).map((line) => JSON.parse(line));
    expect(records.map((r) => r.id)).toEqual(['evt-1', 'evt-2', 'evt-3']);
    expect(records[0]).toEqual({
      id: 'evt-1',
      type: 'image.delete',
      imageId: '00000000-0000-4000-8000-000000000001',
      occurredAt: '2024-05-01T12:00:01.250Z',
      payload: expect.objectContaining({
        id: '00000000-0000-4000-8000-000000000001',
        name: 'img 1',
        deleted: true,
        deleted_at: '2024-05-01T12:00:01Z',
        status: 'deleted',
      }),
      message_id: 'evt-1',
      event_type: 'image.delete',
      priority: 'INFO',
      publisher_id: 'image.test-host',
      timestamp: '2024-05-01 12:00:01.250000',
    });
    expect(records[0].payload).not.toHaveProperty('locations');
  });

  it('publishes an empty batch without creating the file', async () => {
    const file = path.join(base, 'events.jsonl');
    expect((await new JsonLinesEventPublisher({ path: file }).publish([])).isOk()).toBe(true);
    await expect(fs.stat(file)).rejects.toThrow();
  });

  it('never interleaves concurrent batches', async () => {
    const file = path.join(base, 'events.jsonl');
    const publisher = new JsonLinesEventPublisher({ path: file });
    const batches = Array.from({ length: 10 }, (_, b) => Array.from({ length: 5 }, (_, i) => event(b * 5 + i)));
    const results = await Promise.all(batches.map((batch) => publisher.publish(batch)));
    expect(results.every((r) => r.isOk())).toBe(true);
    const ids = (await readLines(file)).map((line) => JSON.parse(line).id as string);
    expect(ids).toHaveLength(50);
    for (const batch of batches) {
      const start = ids.indexOf(batch[0]!.id);
      expect(ids.slice(start, start + 5)).toEqual(batch.map((e) => e.id));
    }
  });

  it('starts a fresh line after a line torn by a crash', async () => {
    const file = path.join(base, 'events.jsonl');
    await fs.writeFile(file, '{"id":"evt-0","type":"ima');
    expect((await new JsonLinesEventPublisher({ path: file }).publish([event(1)])).isOk()).toBe(true);
    const lines = await readLines(file);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!).id).toBe('evt-1');
  });

  it('answers PublishFailed instead of throwing when the file cannot be written', async () => {
    const folder = path.join(base, 'events.jsonl');
    await fs.mkdir(folder);
    const result = await new JsonLinesEventPublisher({ path: folder }).publish([event(1)]);
    expect(result._unsafeUnwrapErr()).toMatchObject({ kind: 'PublishFailed', message: 'opening the events file failed (EISDIR)' });
  });

  it('answers PublishFailed when the folder cannot be created', async () => {
    const file = path.join(base, 'plain-file');
    await fs.writeFile(file, '');
    const result = await new JsonLinesEventPublisher({ path: path.join(file, 'events.jsonl') }).publish([event(1)]);
    expect(result._unsafeUnwrapErr().kind).toBe('PublishFailed');
  });
});
