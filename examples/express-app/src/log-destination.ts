// Where the service and the one-shot scrubber write: JSON log lines to stdout, synchronously, surviving a closed pipe.
import { pino } from 'pino';

/**
 * stdout written synchronously. pino's default writes asynchronously and flushes on exit; when the
 * log reader has gone away (a closed pipe) that exit-time flush retries EPIPE forever (sonic-boom
 * 4.2), so the process never exits, not even on SIGTERM. A synchronous write meets the broken pipe
 * at once, and pino then drops further lines instead.
 */
export function stdoutLogDestination(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}

/**
 * A reader of stdout that went away (EPIPE) must not take the process down through an unhandled
 * 'error' event: what is printed there (the demo tokens, the scrub summary) is dropped instead.
 */
export function tolerateClosedStdout(): void {
  process.stdout.on('error', () => undefined);
}
