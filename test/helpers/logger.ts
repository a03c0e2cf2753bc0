import { createLogger, type Logger, type LogLevel } from '../../src/log.js';
import type { StderrRecord } from './cli.js';

/** pino's number for `warn`, to pick the warnings out of the recorded lines. */
export const WARN = 40;

/**
 * The CLI's own logger (JSON lines, redaction and all) at `level`, keeping every line it writes,
 * parsed, in `lines`: to assert what was warned and logged.
 */
export function recordingLogger(level: LogLevel = 'debug'): { log: Logger; lines: StderrRecord[] } {
  const lines: StderrRecord[] = [];
  const log = createLogger(level, {
    pretty: false,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as StderrRecord) },
  });
  return { log, lines };
}
