// An EventPublisher appending each event as one JSON line to a file: an audit trail, or a feed for tail -f consumers.
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { err, ok, ResultAsync, type Result } from 'neverthrow';
import { publishFailed, type EventPublisher, type OutboxEvent, type PublishError } from '@image-catalog/core';
import { toGlanceNotification } from '@image-catalog/core/workers';
import { errnoCode } from './fs-errors.js';

export interface JsonLinesEventPublisherOptions {
  /** The file events are appended to; it and its folders are created when missing. */
  readonly path: string;
  /** `publisher_id` of the Glance-style envelope (default `image.<hostname>`). */
  readonly publisherId?: string;
  /** fsync the file after each batch before reporting it published (default `true`). */
  readonly fsync?: boolean;
}

/**
 * One line per event: the outbox event (`id`, `type`, `imageId`, `occurredAt`, `payload`) merged
 * with Glance's notification envelope (`message_id` = `id`, `event_type`, `priority`,
 * `publisher_id`, `timestamp`), so both plain consumers and oslo-minded tools can read it.
 */
export interface JsonLinesEventRecord {
  readonly id: string;
  readonly type: OutboxEvent['type'];
  readonly imageId: string;
  readonly occurredAt: string;
  readonly payload: OutboxEvent['payload'];
  readonly message_id: string;
  readonly event_type: OutboxEvent['type'];
  readonly priority: 'INFO';
  readonly publisher_id: string;
  readonly timestamp: string;
}

export function toJsonLinesRecord(event: OutboxEvent, publisherId: string): JsonLinesEventRecord {
  const envelope = toGlanceNotification(event, publisherId);
  return {
    id: event.id,
    type: event.type,
    imageId: event.imageId,
    occurredAt: event.occurredAt.toISOString(),
    payload: event.payload,
    message_id: envelope.message_id,
    event_type: envelope.event_type,
    priority: envelope.priority,
    publisher_id: envelope.publisher_id,
    timestamp: envelope.timestamp,
  };
}

/**
 * Appends batches one at a time (so lines never interleave), each with a single write and an
 * fsync. Delivery is at least once: after a crash between append and acknowledgement a line is
 * appended again with the same `id`. A batch that fails half-way is truncated away; a line torn
 * by a crash is closed with a newline before the next append, so every other line stays valid JSON.
 */
export class JsonLinesEventPublisher implements EventPublisher {
  readonly path: string;
  readonly #publisherId: string;
  readonly #fsync: boolean;
  #tail: Promise<unknown> = Promise.resolve();
  #folderReady = false;

  constructor(options: JsonLinesEventPublisherOptions) {
    if (typeof options?.path !== 'string' || options.path.length === 0 || options.path.includes('\0')) {
      throw new TypeError('JsonLinesEventPublisher: path must be a non-empty file path');
    }
    this.path = path.resolve(options.path);
    this.#publisherId = options.publisherId ?? `image.${hostname()}`;
    this.#fsync = options.fsync ?? true;
  }

  publish(events: readonly OutboxEvent[]): ResultAsync<void, PublishError> {
    const run = this.#tail.then(() => this.#append(events));
    this.#tail = run.catch(() => undefined);
    return new ResultAsync(run.catch((cause: unknown) => err(failure('appending events failed', cause))));
  }

  async #append(events: readonly OutboxEvent[]): Promise<Result<void, PublishError>> {
    if (events.length === 0) return ok(undefined);
    let text: string;
    try {
      text = events.map((event) => `${JSON.stringify(toJsonLinesRecord(event, this.#publisherId))}\n`).join('');
    } catch (cause) {
      return err(failure('an event could not be serialised', cause));
    }
    try {
      if (!this.#folderReady) {
        await fs.mkdir(path.dirname(this.path), { recursive: true });
        this.#folderReady = true;
      }
    } catch (cause) {
      return err(failure('creating the events folder failed', cause));
    }

    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.path, 'a+', 0o640);
    } catch (cause) {
      return err(failure('opening the events file failed', cause));
    }
    let sizeBefore = 0;
    try {
      sizeBefore = (await handle.stat()).size;
      if (sizeBefore > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, sizeBefore - 1);
        if (last[0] !== 0x0a) text = `\n${text}`;
      }
      const bytes = Buffer.from(text, 'utf8');
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        if (bytesWritten <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
        offset += bytesWritten;
      }
      if (this.#fsync) await handle.sync();
      return ok(undefined);
    } catch (cause) {
      // Leave no half batch behind: the whole batch is retried, and duplicates are cheaper than torn lines.
      await handle.truncate(sizeBefore).catch(() => undefined);
      return err(failure('appending events failed', cause));
    } finally {
      await handle.close().catch(() => undefined);
    }
  }
}

function failure(message: string, cause: unknown): PublishError {
  const code = errnoCode(cause);
  return publishFailed(code ? `${message} (${code})` : message, cause);
}
