// The operator's alarm for dead-lettered data-deletion jobs, said at every service start and every `pnpm scrub` until someone acts.
import type { Logger } from '@image-catalog/core';

/** Image data is being kept that should be gone: logs an error naming the fix when `dead` > 0. */
export function reportDeadJobs(logger: Logger, dead: number): void {
  if (dead === 0) return;
  logger.error(
    { dead },
    `${dead} dead-lettered data-deletion job(s): image data is left behind; fix the data store, then run \`pnpm scrub --requeue-dead\``,
  );
}
