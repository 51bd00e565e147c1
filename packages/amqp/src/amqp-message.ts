// The AMQP message for an outbox event: its body in the chosen format, and the properties consumers route and de-duplicate by.
import { type OutboxEvent } from '@image-catalog/core';
import { toGlanceNotification, type GlanceNotification } from '@image-catalog/core/workers';

/** `event`: our outbox event as JSON. `oslo`: the oslo.messaging v2 notification envelope, as Glance sends it. */
export type AmqpBodyFormat = 'event' | 'oslo';

/** The body of format `event`: the outbox event without its delivery bookkeeping. */
export interface AmqpEventBody {
  readonly id: string;
  readonly type: OutboxEvent['type'];
  readonly imageId: string;
  /** ISO 8601, milliseconds, UTC: when the change committed. */
  readonly occurredAt: string;
  readonly payload: OutboxEvent['payload'];
}

/**
 * What oslo.messaging puts in `oslo.message`: the notification, plus the `_unique_id` its
 * listeners drop recent duplicates by. We set it to the event id, so a redelivery is recognised.
 */
export interface OsloMessage extends GlanceNotification {
  readonly _unique_id: string;
}

/** The oslo.messaging 2.0 envelope: the message serialised as a JSON string inside a JSON object. */
export interface OsloEnvelope {
  readonly 'oslo.version': '2.0';
  readonly 'oslo.message': string;
}

/** The AMQP basic properties of an event's message (amqplib's names). */
export interface AmqpMessageProperties {
  /** The outbox event id: the same on every redelivery. */
  readonly messageId: string;
  readonly type: OutboxEvent['type'];
  readonly contentType: 'application/json';
  readonly contentEncoding: 'utf-8';
  /** 2: persistent, written to disk by a durable queue. */
  readonly deliveryMode: 2;
  /** When the change committed, in seconds since the epoch (AMQP's unit). */
  readonly timestamp: number;
}

export interface AmqpMessage {
  readonly eventId: string;
  readonly content: Buffer;
  readonly properties: AmqpMessageProperties;
}

export function toEventBody(event: OutboxEvent): AmqpEventBody {
  return { id: event.id, type: event.type, imageId: event.imageId, occurredAt: event.occurredAt.toISOString(), payload: event.payload };
}

export function toOsloEnvelope(event: OutboxEvent, publisherId: string): OsloEnvelope {
  const message: OsloMessage = { ...toGlanceNotification(event, publisherId), _unique_id: event.id };
  return { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) };
}

const bodyBuilders = {
  event: (event) => toEventBody(event),
  oslo: (event, publisherId) => toOsloEnvelope(event, publisherId),
} as const satisfies Record<AmqpBodyFormat, (event: OutboxEvent, publisherId: string) => AmqpEventBody | OsloEnvelope>;

export const AMQP_BODY_FORMATS = Object.keys(bodyBuilders) as readonly AmqpBodyFormat[];

/** Throws when the event cannot be serialised (a defect of the event, not of the bus). */
export function toAmqpMessage(event: OutboxEvent, format: AmqpBodyFormat, publisherId: string): AmqpMessage {
  const body = bodyBuilders[format](event, publisherId);
  return {
    eventId: event.id,
    content: Buffer.from(JSON.stringify(body), 'utf8'),
    properties: {
      messageId: event.id,
      type: event.type,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      timestamp: Math.floor(event.occurredAt.getTime() / 1000),
    },
  };
}
