/**
 * The configuration of a many-tenant pull: the fleet settings (`--tenants`, `--state-dir`,
 * `--concurrency`, `--shard`), and one full pull configuration per tenant, each resolved by the
 * same rules as a single pull with the tenant's overrides on top. Every problem of every tenant is
 * reported at once (a problem all tenants share, once); nothing is fetched. Pure: the caller reads
 * the tenants file and the secret files it names.
 */
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { gather } from './fields.js';
import { fail, flagProblem, problemLine, problemOf, settingProblem, type Problem } from './problems.js';
import { checkPullConfig } from './resolve.js';
import { readValues } from './setting-values.js';
import { inShard, type Shard } from './shard.js';
import { AUTH_SETTINGS, FLEET_SETTINGS, PULL_SETTINGS } from './spec.js';
import { fileSafeLabel, tenantFlags, type TenantEntry } from './tenants.js';
import type { Env, Flags, PullConfig } from './types.js';

/** Where `--output` names one file per tenant. */
export const TENANT_PLACEHOLDER = '{tenant}';

/** A tenant's state file in `--state-dir`: `<dir>/<file-safe label>.json` (pull and status alike). */
export function tenantStatePath(stateDir: string, label: string): string {
  return join(stateDir, `${fileSafeLabel(label)}.json`);
}

export interface FleetSettings {
  tenantsFile: string;
  stateDir: string | undefined;
  concurrency: number;
  shard: Shard | undefined;
}

/** One tenant's run: its label and a complete pull configuration. */
export interface TenantPlan {
  label: string;
  where: string;
  config: PullConfig;
}

export interface FleetConfig extends FleetSettings {
  /** The tenants of this shard, in the file's order. */
  tenants: TenantPlan[];
  /** Tenants in the file, before sharding. */
  listed: number;
  /**
   * One output all tenants write to (stdout, or an --output without {tenant}), each alert with the
   * tenant's label; undefined when each tenant has its own file.
   */
  shared: { format: PullConfig['format']; output: string | undefined; append: boolean; split: PullConfig['split'] } | undefined;
  /** What the tenants' configurations ignore, to be logged: one every tenant shares once, the others by entry. */
  warnings: string[];
}

/** The fleet settings, or undefined when `--tenants` is not given; problems are added to `problems`. */
export function fleetSettings(flags: Flags, env: Env, problems: Problem[]): FleetSettings | undefined {
  const raw = gather(FLEET_SETTINGS, flags, env);
  const read = readValues(FLEET_SETTINGS, raw);
  problems.push(...read.problems);
  const s = read.complete;
  if (s === undefined) return undefined;
  if (s.tenants === undefined) {
    // Only flags: a variable set for the whole machine does not break its single-tenant runs.
    for (const key of ['stateDir', 'concurrency', 'shard'] as const) {
      if (flags[key] !== undefined) problems.push(flagProblem(key, 'only with --tenants <file>'));
    }
    return undefined;
  }
  return { tenantsFile: s.tenants, stateDir: s.stateDir, concurrency: s.concurrency, shard: s.shard };
}

export interface FleetInput {
  flags: Flags;
  env: Env;
  now: Date;
  settings: FleetSettings;
  entries: readonly TenantEntry[];
  /** The command line's secret (--client-secret-file, read once), for tenants without their own. */
  secretFromFile: string | undefined;
  /** Content of each tenant's own `clientSecretFile`, by the path as the entry gives it. */
  tenantSecrets: ReadonlyMap<string, string>;
}

/** Resolves every tenant of the file (of this shard); throws a UsageError with every problem. */
export function resolveFleetConfig(input: FleetInput): FleetConfig {
  const { flags, env, settings } = input;
  const problems: Problem[] = [];
  const pull = gather(PULL_SETTINGS, flags, env);
  if (pull['state'] !== undefined) {
    problems.push(settingProblem('state', 'not with --tenants; give --state-dir <dir>, which holds one state file per tenant'));
  }
  if (flags['tenant'] !== undefined) problems.push(flagProblem('tenant', 'not with --tenants (the file names the tenants)'));
  if (gather(AUTH_SETTINGS, flags, env)['auth'] === 'user') {
    problems.push(
      problemOf('--auth user', 'not with --tenants; many tenants sign in as the app (a secret or certificate consented in each)'),
    );
  }
  const output = typeof pull['output'] === 'string' ? pull['output'] : undefined;
  const perTenantOutput = output?.includes(TENANT_PLACEHOLDER) === true;
  // A --follow service appends to its --output (resolve.ts).
  const append = pull['append'] === true || pull['follow'] === true;
  if (output !== undefined && !perTenantOutput && !append && settings.stateDir !== undefined) {
    problems.push(
      flagProblem(
        'output',
        `with --state-dir, one file for all tenants must be --append (a replaced file appears only when the last tenant is done, so no tenant's state could move before); or name one file per tenant with ${TENANT_PLACEHOLDER}`,
      ),
    );
  }

  // Each tenant is resolved as a single pull would be. A problem every tenant has is the command
  // line's: said once. The others are said per tenant, at the entry's key when it set that setting.
  const perTenant = new Map<string, { entries: TenantEntry[]; problem: Problem }>();
  const warned = new Map<string, TenantEntry[]>();
  const tenants: TenantPlan[] = [];
  const selected = inShard(input.entries, settings.shard);
  for (const entry of selected) {
    const file = fileSafeLabel(entry.label);
    const overrides: Record<string, unknown> = {};
    if (settings.stateDir !== undefined) overrides['state'] = tenantStatePath(settings.stateDir, entry.label);
    // A fleet keeps the machine busy with --concurrency tenants at once; each tenant also reading
    // windows in parallel only multiplies the requests in flight and the spools (measured at 200
    // tenants: 3.4x the CLI's CPU and +70 MB of peak RSS for no gain). Unless asked for: one at a time.
    if (settings.stateDir !== undefined && flags['parallel'] === undefined && !env['DEFENDER_PARALLEL']) overrides['parallel'] = '1';
    if (perTenantOutput && output !== undefined) overrides['output'] = output.split(TENANT_PLACEHOLDER).join(file);
    const own = entry.overrides['clientSecretFile'];
    const resolution = checkPullConfig({
      flags: { ...tenantFlags(flags, entry), ...overrides },
      env,
      secretFromFile: typeof own === 'string' ? input.tenantSecrets.get(own) : input.secretFromFile,
      now: input.now,
    });
    if (resolution.ok) {
      tenants.push({ label: entry.label, where: entry.where, config: resolution.config });
      for (const warning of resolution.config.warnings) warned.set(warning, [...(warned.get(warning) ?? []), entry]);
      continue;
    }
    for (const problem of resolution.problems) {
      const line = problemLine(problem);
      const seen = perTenant.get(line) ?? { entries: [], problem };
      seen.entries.push(entry);
      perTenant.set(line, seen);
    }
  }
  // Said once when every tenant of several has it: it is the command line's (or the environment's).
  const everyTenant = (entries: readonly TenantEntry[]) => entries.length === selected.length && selected.length > 1;
  for (const { entries, problem } of perTenant.values()) {
    if (everyTenant(entries)) problems.push(problem);
    else for (const entry of entries) problems.push(attribute(entry, problem));
  }
  if (problems.length > 0) fail(problems);
  const warnings = [...warned].flatMap(([warning, entries]) =>
    everyTenant(entries) ? [warning] : entries.map((entry) => `${entry.where} (${entry.label}): ${warning}`),
  );
  return {
    ...settings,
    tenants,
    listed: input.entries.length,
    shared: perTenantOutput ? undefined : { format: tenants[0]?.config.format ?? 'json', output, append, split: tenants[0]?.config.split },
    warnings,
  };
}

/** Entry keys that name a setting otherwise (tenants.ts reads them into these flags). */
const ENTRY_KEY_OF: Readonly<Partial<Record<string, string>>> = { machineGroup: 'machineGroups' };

/**
 * A tenant's problem, at the key of its entry when the entry set that setting (`tenants.json[3].region: …`),
 * else with the entry named in front (`tenants.json[3] (contoso): --page-size: …`).
 */
function attribute(entry: TenantEntry, problem: Problem): Problem {
  const { setting } = problem;
  if (setting !== undefined && problem.subject === undefined && entry.overrides[setting] !== undefined) {
    return problemOf(`${entry.where}.${ENTRY_KEY_OF[setting] ?? setting}`, problem.message);
  }
  return problemOf(`${entry.where} (${entry.label})`, problemLine(problem));
}

/**
 * The paths of an entry made absolute against the tenants file's directory, where a reader of the
 * file expects them to be relative to.
 */
export function withPathsFrom(entry: TenantEntry, dir: string): TenantEntry {
  const overrides: Record<string, unknown> = { ...entry.overrides };
  for (const key of ['clientSecretFile', 'certificate']) {
    const value = overrides[key];
    if (typeof value === 'string' && !isAbsolute(value)) overrides[key] = resolvePath(dir, value);
  }
  return { ...entry, overrides };
}
