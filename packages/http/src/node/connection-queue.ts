// The order of one connection's requests: a request that may change state runs alone, after everything before it.
import type { Socket } from 'node:net';

/** Methods RFC 9110 §9.2.1 calls safe: they change nothing, so they may overlap one another. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export function isSafeMethod(method: string | undefined): boolean {
  return method !== undefined && SAFE_METHODS.has(method);
}

/** What the queue needs of a request: whether node has parsed all of its body. */
export interface QueuedRequest {
  readonly complete: boolean;
}

interface Waiting {
  readonly exclusive: boolean;
  readonly start: (done: () => void) => void;
  readonly request: QueuedRequest | null;
}

/**
 * A readers-writer queue in arrival order. Safe requests run as soon as no exclusive one is
 * running or waiting before them; an exclusive one (a DELETE, a PUT, any unknown method, or a
 * final answer that closes the connection) waits until everything before it has finished, and
 * everything after it waits for it. Node's server parses pipelined requests and hands them to
 * the listener at once; without this a `GET` pipelined after a `DELETE` could be answered from
 * before the delete.
 */
export class ConnectionQueue {
  #running = 0;
  #exclusiveRunning = false;
  readonly #waiting: Waiting[] = [];
  /** The requests waiting or running. */
  readonly #requests = new Set<QueuedRequest>();

  /** True when nothing runs or waits: a new request of any kind would start at once. */
  get idle(): boolean {
    return this.#running === 0 && this.#waiting.length === 0;
  }

  /**
   * True when a request waiting or running has not been received in full: after a parse error
   * its body will never end, so whatever waits for it would wait for ever.
   */
  hasIncompleteRequest(): boolean {
    for (const request of this.#requests) if (!request.complete) return true;
    return false;
  }

  /**
   * Calls `start` now or when its turn comes; `start` calls `done` once its request is finished
   * (later calls are ignored). When `start` throws, its turn ends and the error propagates.
   */
  run(exclusive: boolean, start: (done: () => void) => void, request: QueuedRequest | null = null): void {
    if (request !== null) this.#requests.add(request);
    this.#waiting.push({ exclusive, start, request });
    this.#pump();
  }

  #pump(): void {
    // Bounded: each pass starts one waiting entry or returns.
    for (let next = this.#waiting[0]; next !== undefined; next = this.#waiting[0]) {
      if (next.exclusive ? this.#running > 0 : this.#exclusiveRunning) return;
      this.#waiting.shift();
      this.#running++;
      if (next.exclusive) this.#exclusiveRunning = true;
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        this.#running--;
        if (next.exclusive) this.#exclusiveRunning = false;
        if (next.request !== null) this.#requests.delete(next.request);
        this.#pump();
      };
      try {
        next.start(done);
      } catch (cause) {
        done();
        throw cause;
      }
    }
  }
}

const queues = new WeakMap<Socket, ConnectionQueue>();

/** The queue of `socket`'s requests, created on first use; it goes away with the socket. */
export function connectionQueueOf(socket: Socket): ConnectionQueue {
  let queue = queues.get(socket);
  if (queue === undefined) {
    queue = new ConnectionQueue();
    queues.set(socket, queue);
  }
  return queue;
}

/** The queue of `socket` if a guarded listener ever served it, else `null`. */
export function existingConnectionQueue(socket: object): ConnectionQueue | null {
  return queues.get(socket as Socket) ?? null;
}
