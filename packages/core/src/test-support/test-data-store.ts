// An image data store for core's tests: a set of urls, scripted failures, and a hang the test releases.
import { randomUUID } from 'node:crypto';
import { errAsync, okAsync, ResultAsync } from 'neverthrow';
import type { DataStoreError, ImageDataStore } from '../ports/image-data-store.port.js';

interface Failure {
  readonly kind: DataStoreError['kind'];
  left: number;
}

/** A hang: deletes wait until `release()`; `reached()` resolves once one is waiting. */
export interface Hang {
  reached(): Promise<void>;
  release(): void;
}

export class TestDataStore implements ImageDataStore {
  readonly #urls = new Set<string>();
  #failures: Failure[] = [];
  #hang: { gate: Promise<void>; release: () => void; reached: Promise<void>; arrive: () => void } | null = null;

  newUrl(imageId: string): string {
    return `test://${imageId}/${randomUUID()}`;
  }

  put(url: string): void {
    this.#urls.add(url);
  }

  has(url: string): boolean {
    return this.#urls.has(url);
  }

  urls(): string[] {
    return [...this.#urls];
  }

  /** The next `times` deletes (`Infinity`: every one until removed) fail with `kind` and delete nothing. */
  failNext(times: number, kind: DataStoreError['kind']): { remove(): void } {
    const failure: Failure = { kind, left: times };
    this.#failures.push(failure);
    return { remove: () => void (this.#failures = this.#failures.filter((f) => f !== failure)) };
  }

  failAlways(kind: DataStoreError['kind']): { remove(): void } {
    return this.failNext(Infinity, kind);
  }

  hang(): Hang {
    let release!: () => void;
    let arrive!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const hang = { gate, release, reached, arrive };
    this.#hang = hang;
    return {
      reached: () => reached,
      release: () => {
        if (this.#hang === hang) this.#hang = null;
        release();
      },
    };
  }

  delete(url: string): ResultAsync<void, DataStoreError> {
    const failure = this.#failures[0];
    if (failure !== undefined) {
      if (--failure.left <= 0) this.#failures.shift();
      return errAsync({ kind: failure.kind, message: `injected ${failure.kind}` });
    }
    const hang = this.#hang;
    if (hang === null) {
      this.#urls.delete(url);
      return okAsync(undefined);
    }
    hang.arrive();
    return ResultAsync.fromSafePromise(hang.gate.then(() => void this.#urls.delete(url)));
  }
}
