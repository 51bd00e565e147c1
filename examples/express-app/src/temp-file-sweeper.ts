// Removes the temp files of uploads a crash interrupted: once at start, then with every scrubber interval.
import type { Logger } from '@image-catalog/core';
import type { FileImageDataStore } from '@image-catalog/filesystem';

export interface TempFileSweeper {
  /** One sweep now; logs what it removed, or why it could not. */
  sweepOnce(): Promise<void>;
  /** Sweeps every `intervalMs` until `stop()`; the timer never keeps the process alive. */
  start(intervalMs: number): void;
  stop(): void;
}

/** Temp files not modified for `graceSeconds` (`IMAGE_CATALOG_TEMP_FILE_GRACE`) are removed; the store's own writes in progress never are. */
export function createTempFileSweeper(
  store: Pick<FileImageDataStore, 'sweepTempFiles'>,
  graceSeconds: number,
  logger: Logger,
): TempFileSweeper {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const sweepOnce = () =>
    (running ??= (async () => {
      const swept = await store.sweepTempFiles({ olderThanMs: graceSeconds * 1000 });
      if (swept.isErr()) {
        const failure = swept.error;
        logger.warn(
          { err: 'cause' in failure ? failure.cause : failure, failure: failure.kind },
          `could not sweep upload temp files: ${failure.message}`,
        );
      } else if (swept.value.removed > 0) logger.info({ removed: swept.value.removed }, 'removed temp files of interrupted uploads');
    })().finally(() => {
      running = null;
    }));
  return {
    sweepOnce,
    start(intervalMs) {
      timer ??= setInterval(() => void sweepOnce(), intervalMs).unref();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
