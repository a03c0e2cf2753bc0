/**
 * `defender-alerts simulate`: validates the flags, then runs the local simulator until Ctrl-C.
 */
import { optionKey, SIMULATE_SETTINGS } from '../config/spec.js';
import { UsageError } from '../errors.js';
import { runSimulate } from '../../simulator/command.js';
import { servedTenantId } from '../../simulator/credentials.js';
import { isOrigin } from '../../simulator/server.js';
import { TENANT_TROUBLES, isTenantTrouble, type TenantTrouble } from '../../simulator/tenants.js';
import type { CommandIo } from '../context/command-context.js';

// Repeatable flags arrive as arrays of strings.
type Opts = Record<string, string | string[] | boolean | undefined>;

/** What was typed for `flag`, else the option table's default. */
function given(opts: Opts, flag: string): string | string[] | boolean | undefined {
  const spec = SIMULATE_SETTINGS.find((s) => s.flag === flag);
  return opts[optionKey(flag)] ?? (spec && 'default' in spec ? spec.default : undefined);
}

function number(opts: Opts, flag: string, check: (n: number) => boolean, expected: string): number {
  const text = String(given(opts, flag));
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !check(value)) {
    throw new UsageError(`--${flag}: expected ${expected}, got "${text}"`);
  }
  return value;
}

const whole = (n: number) => Number.isInteger(n) && n >= 0;

/** `--tenant-trouble <tenant>=<kind>`, each naming a tenant the simulator will serve. */
function tenantTrouble(opts: Opts, fleet: number): Record<string, TenantTrouble> {
  const raw = opts['tenantTrouble'];
  const items = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
  const troubles: Record<string, TenantTrouble> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    const tenant = at < 0 ? '' : item.slice(0, at).trim();
    const kind = at < 0 ? '' : item.slice(at + 1).trim();
    if (tenant === '' || kind === '') {
      throw new UsageError(`--tenant-trouble: expected <tenant>=<kind>, got "${item}"`);
    }
    if (!isTenantTrouble(kind)) {
      throw new UsageError(`--tenant-trouble: expected a kind of ${TENANT_TROUBLES.join(', ')}, got "${kind}"`);
    }
    if (servedTenantId(tenant, fleet) === undefined) {
      throw new UsageError(`--tenant-trouble: the simulator serves no tenant "${tenant}"`, {
        hint: 'Name the default tenant or one of the --tenants fleet (00000000-0000-4000-8001-000000000001 …), by id or domain.',
      });
    }
    troubles[tenant] = kind;
  }
  return troubles;
}

export async function simulateCommand(opts: Opts, io: CommandIo): Promise<void> {
  const settings = {
    port: number(opts, 'port', (n) => whole(n) && n <= 65535, 'a port from 0 to 65535'),
    host: String(given(opts, 'host')),
    http: opts['http'] === true,
    alerts: number(opts, 'alerts', whole, 'a whole number'),
    rate: number(opts, 'rate', (n) => n >= 0, 'alerts per minute, 0 or more'),
    failRate: number(opts, 'fail-rate', (n) => n >= 0 && n <= 1, 'a fraction from 0 to 1'),
    throttle: number(opts, 'throttle', whole, 'a whole number (0 = never)'),
    latencyMs: number(opts, 'latency', (n) => n >= 0, 'milliseconds, 0 or more'),
    mdeCallsPerMinute: number(opts, 'mde-calls-per-minute', (n) => whole(n) && n >= 1, 'a whole number, 1 or more'),
    mdeCallsPerHour: number(opts, 'mde-calls-per-hour', (n) => whole(n) && n >= 1, 'a whole number, 1 or more'),
    mdeMinuteSeconds: number(opts, 'mde-minute', (n) => whole(n) && n >= 1, 'seconds, 1 or more'),
    graphCallsPerMinute: number(opts, 'graph-calls-per-minute', (n) => whole(n) && n >= 1, 'a whole number, 1 or more'),
    graphMinuteSeconds: number(opts, 'graph-minute', (n) => whole(n) && n >= 1, 'seconds, 1 or more'),
    quotaUsed: number(opts, 'quota-used', whole, 'a whole number'),
    sharedUpdateTime: number(opts, 'shared-update-time', whole, 'a whole number'),
    mdeNoNextLinkWithTop: opts['mdeNoNextLink'] === true,
    mdeUnordered: opts['mdeUnordered'] === true,
    seed: number(opts, 'seed', Number.isInteger, 'a whole number'),
    tenants: number(opts, 'tenants', (n) => whole(n) && n <= 100_000, 'a whole number from 0 to 100000'),
  };
  const troubles = tenantTrouble(opts, settings.tenants);
  const foreign = opts['foreignNextLinks'];
  if (typeof foreign === 'string' && !isOrigin(foreign)) {
    throw new UsageError(`--foreign-next-links: expected an origin such as https://eu.api.security.microsoft.com, got "${foreign}"`);
  }
  const certDir = typeof opts['certDir'] === 'string' ? opts['certDir'] : undefined;
  await runSimulate(
    {
      ...settings,
      ...(certDir === undefined ? {} : { certDir }),
      ...(typeof foreign === 'string' ? { foreignNextLinks: foreign } : {}),
      ...(Object.keys(troubles).length === 0 ? {} : { tenantTrouble: troubles }),
    },
    { stdout: io.stdout, signal: io.signal },
  );
}
