/**
 * Logging: pino to stderr (stdout carries alerts only). JSON lines when stderr is a file or pipe
 * (for journald, cron mail, a log shipper); a short human line when it is a terminal. The lines the
 * entry point writes itself (the last error, signal notices) follow the same rule (notice.ts).
 *
 * Secrets are kept out twice: the code never puts the secret or a token into a log call, and
 * `redact` censors every path where one could appear should that ever change. A third line of
 * defence covers what no path can: a server that echoes a token back in a header or body we log.
 * Every secret value the process holds is registered here, and no line leaves with one in it.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { LEVEL_VALUES, type LogLevel } from './notice.js';
import { redactSecrets } from './secrets.js';

export type { Logger };

export { LOG_LEVELS, type LogLevel } from './notice.js';

/** Every place a secret or token could sit in a logged object (pino/fast-redact path syntax). */
export const REDACT_PATHS = [
  'clientSecret',
  'client_secret',
  'secret',
  'password',
  'accessToken',
  'access_token',
  'refresh_token',
  'token',
  'authorization',
  'Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.clientSecret',
  '*.client_secret',
  '*.secret',
  '*.password',
  '*.accessToken',
  '*.access_token',
  '*.refresh_token',
  '*.token',
  '*.authorization',
  '*.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
];

const LEVEL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(LEVEL_VALUES).map(([name, value]) => [value, name.toUpperCase()]),
);

/** Formats one pino JSON line for a person: `12:00:01 WARN  retrying alerts request status=503`. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, msg, pid: _pid, hostname: _host, ...rest } = entry;
  const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const name = (LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5);
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${clock} ${name} ${typeof msg === 'string' ? msg : msg === undefined ? '' : JSON.stringify(msg)}${fields ? ` ${fields}` : ''}\n`;
}

function prettyStderr(): DestinationStream {
  return {
    write(line: string) {
      // Erase first: a progress line (output/progress.ts) may be on the terminal's last line.
      process.stderr.write(`\r\x1b[K${prettyLine(redactSecrets(line))}`);
    },
  };
}

/** The process logger. `pretty` defaults to whether stderr is a terminal. */
export function createLogger(level: LogLevel, options: { pretty?: boolean; destination?: DestinationStream } = {}): Logger {
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const inner = options.destination ?? (pretty ? prettyStderr() : pino.destination({ fd: 2, sync: true }));
  const destination: DestinationStream =
    pretty && options.destination === undefined ? inner : { write: (line: string) => inner.write(redactSecrets(line)) };
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.epochTime,
    },
    destination,
  );
}
