// The message built for an event: properties consumers rely on, and both body formats as a consumer parses them.
import { type ImageNotificationPayload, type OutboxEvent } from '@image-catalog/core';
import { toGlanceNotification } from '@image-catalog/core/workers';
import { describe, expect, it } from 'vitest';
import { toAmqpMessage, toEventBody, toOsloEnvelope } from './amqp-message.js';

const occurredAt = new Date('2024-05-01T12:00:00.250Z');
const payload: ImageNotificationPayload = {
  id: 'f3a1c2d4-0000-4000-8000-000000000001',
  name: 'ünïcode image',
  status: 'deleted',
  created_at: '2024-04-01T08:00:00Z',
  updated_at: '2024-05-01T12:00:00Z',
  min_disk: 0,
  min_ram: 0,
  protected: false,
  checksum: null,
  owner: 'p1',
  disk_format: 'qcow2',
  container_format: 'bare',
  size: 1024,
  virtual_size: null,
  is_public: false,
  visibility: 'private',
  properties: { os_distro: 'debian' },
  tags: ['a', 'b'],
  deleted: true,
  deleted_at: '2024-05-01T12:00:00Z',
};
const event: OutboxEvent = {
  id: '7d2b9c3e-4a1f-4b8e-9f0a-1c2d3e4f5a6b',
  type: 'image.delete',
  imageId: 'f3a1c2d4-0000-4000-8000-000000000001',
  payload,
  occurredAt,
  deliveredAt: null,
  attempts: 3,
};

describe('toAmqpMessage', () => {
  it('carries the event id as message id, the event type, JSON, persistence and the commit time in seconds', () => {
    for (const format of ['event', 'oslo'] as const) {
      const message = toAmqpMessage(event, format, 'image.host1');
      expect(message.eventId).toBe(event.id);
      expect(message.properties).toEqual({
        messageId: event.id,
        type: 'image.delete',
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        timestamp: Math.floor(occurredAt.getTime() / 1000),
      });
    }
  });

  it("format 'event': the outbox event without its delivery bookkeeping, UTF-8 JSON", () => {
    const body = JSON.parse(toAmqpMessage(event, 'event', 'ignored').content.toString('utf8'));
    expect(body).toEqual({ id: event.id, type: 'image.delete', imageId: event.imageId, occurredAt: '2024-05-01T12:00:00.250Z', payload });
    expect(body.payload.name).toBe('ünïcode image');
    expect(body).not.toHaveProperty('attempts');
    expect(body).not.toHaveProperty('deliveredAt');
    expect(toEventBody(event)).toEqual(body);
  });

  it("format 'oslo': version 2.0 and the notification as a JSON string, as oslo.messaging sends it", () => {
    const envelope = JSON.parse(toAmqpMessage(event, 'oslo', 'image.host1').content.toString('utf8'));
    expect(Object.keys(envelope).sort()).toEqual(['oslo.message', 'oslo.version']);
    expect(envelope['oslo.version']).toBe('2.0');
    expect(typeof envelope['oslo.message']).toBe('string');

    const message = JSON.parse(envelope['oslo.message']);
    expect(message).toEqual({ ...JSON.parse(JSON.stringify(toGlanceNotification(event, 'image.host1'))), _unique_id: event.id });
    expect(message).toMatchObject({
      message_id: event.id,
      publisher_id: 'image.host1',
      event_type: 'image.delete',
      priority: 'INFO',
      timestamp: '2024-05-01 12:00:00.250000',
      payload: { id: event.imageId, deleted: true, status: 'deleted' },
    });
    expect(toOsloEnvelope(event, 'image.host1')).toEqual(envelope);
  });

  it('is the same message for every delivery attempt of an event', () => {
    const again = { ...event, attempts: 9 };
    for (const format of ['event', 'oslo'] as const) {
      expect(toAmqpMessage(again, format, 'p')).toEqual(toAmqpMessage(event, format, 'p'));
    }
  });
});
