// A real pino logger writing JSON lines to memory: tests check what pino serialises, not merely what it was handed.
import { pino, type Logger as PinoLogger } from 'pino';

/** One parsed line; `err` is what pino's standard error serialiser made of the logged error. */
export interface PinoLine {
  readonly level: number;
  readonly msg: string;
  readonly err?: { readonly type?: string; readonly message?: string; readonly stack?: string };
  readonly [key: string]: unknown;
}

/** pino's numeric levels, for readable assertions. */
export const PINO_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export function pinoLines(): { readonly logger: PinoLogger; lines(): PinoLine[]; bytes(): number } {
  const written: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void written.push(line) });
  return {
    logger,
    lines: () => written.map((line) => JSON.parse(line) as PinoLine),
    bytes: () => written.reduce((total, line) => total + Buffer.byteLength(line), 0),
  };
}
