/**
 * `defender-alerts simulate`: validates the flags, then runs the local simulator until Ctrl-C.
 */
import { UsageError } from '../errors.js';
import { runSimulate } from '../simulator/command.js';
import { isOrigin } from '../simulator/server.js';
import type { CommandIo } from './context.js';

type Opts = Record<string, string | boolean | undefined>;

function number(opts: Opts, key: string, flag: string, check: (n: number) => boolean, expected: string): number {
  const text = String(opts[key]);
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new UsageError(`--${flag}: expected ${expected}, got "${text}"`);
  }
  return value;
}

const whole = (n: number) => Number.isInteger(n) && n >= 0;

export async function simulateCommand(opts: Opts, io: CommandIo): Promise<void> {
  const settings = {
    port: number(opts, 'port', 'port', (n) => whole(n) && n <= 65535, 'a port from 0 to 65535'),
    host: String(opts['host']),
    http: opts['http'] === true,
    alerts: number(opts, 'alerts', 'alerts', whole, 'a whole number'),
    rate: number(opts, 'rate', 'rate', (n) => n >= 0, 'alerts per minute, 0 or more'),
    failRate: number(opts, 'failRate', 'fail-rate', (n) => n >= 0 && n <= 1, 'a fraction from 0 to 1'),
    throttle: number(opts, 'throttle', 'throttle', whole, 'a whole number (0 = never)'),
    latencyMs: number(opts, 'latency', 'latency', (n) => n >= 0, 'milliseconds, 0 or more'),
    mdeCallsPerMinute: number(opts, 'mdeCallsPerMinute', 'mde-calls-per-minute', (n) => whole(n) && n >= 1, 'a whole number, 1 or more'),
    mdeCallsPerHour: number(opts, 'mdeCallsPerHour', 'mde-calls-per-hour', (n) => whole(n) && n >= 1, 'a whole number, 1 or more'),
    mdeMinuteSeconds: number(opts, 'mdeMinute', 'mde-minute', (n) => whole(n) && n >= 1, 'seconds, 1 or more'),
    quotaUsed: number(opts, 'quotaUsed', 'quota-used', whole, 'a whole number'),
    sharedUpdateTime: number(opts, 'sharedUpdateTime', 'shared-update-time', whole, 'a whole number'),
    mdeNoNextLinkWithTop: opts['mdeNoNextLink'] === true,
    mdeUnordered: opts['mdeUnordered'] === true,
    seed: number(opts, 'seed', 'seed', Number.isInteger, 'a whole number'),
  };
  const foreign = opts['foreignNextLinks'];
  if (typeof foreign === 'string' && !isOrigin(foreign)) {
    throw new UsageError(`--foreign-next-links: expected an origin such as https://eu.api.security.microsoft.com, got "${foreign}"`);
  }
  const certDir = typeof opts['certDir'] === 'string' ? opts['certDir'] : undefined;
  await runSimulate(
    { ...settings, ...(certDir === undefined ? {} : { certDir }), ...(typeof foreign === 'string' ? { foreignNextLinks: foreign } : {}) },
    { stdout: io.stdout, signal: io.signal },
  );
}
