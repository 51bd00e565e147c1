// A logger for core's tests that keeps every entry, so a test can assert what was logged.
import type { Logger } from '../ports/logger.port.js';

export interface LogEntry {
  readonly level: keyof Logger;
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

export function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: keyof Logger) => (obj: object, msg?: string) => void entries.push({ level, obj: { ...obj }, msg });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}
