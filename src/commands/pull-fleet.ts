/**
 * `pull --tenants <file>`: reads the tenants file and every tenant's configuration, then runs them
 * (delivery/fleet.ts) once, or as a `--follow` service.
 */
import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { resolveFleetConfig, withPathsFrom, type FleetConfig, type FleetSettings } from '../config/fleet.js';
import { readSecretFile, readTenantsText } from '../config/files.js';
import { fail, gather } from '../config/fields.js';
import type { Flags } from '../config/resolve.js';
import { AUTH_SETTINGS } from '../config/spec.js';
import { parseTenantsFile, TenantsFileError, type TenantEntry } from '../config/tenants.js';
import { setUp, type CommandIo, type Planned } from '../context/command-context.js';
import type { LoadedEnvironment } from '../context/environment.js';
import { openShared, runFleetOnce, serveFleet } from '../delivery/fleet.js';
import type { PullResult } from '../delivery/run-once.js';
import { UsageError } from '../errors.js';
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { describeFileError } from '../util/errno.js';

/** The timeout of the dispatcher when no tenant falls in this shard (nothing is sent). */
const DEFAULT_TIMEOUT_MS = 30_000;

/** Reads and resolves the tenants file, the secrets it names, and every tenant's configuration. */
async function planFleet(flags: Flags, settings: FleetSettings, loaded: LoadedEnvironment, io: CommandIo): Promise<Planned<FleetConfig>> {
  const file = settings.tenantsFile;
  let entries: TenantEntry[];
  try {
    entries = parseTenantsFile(await readTenantsText(file), basename(file)).map((e) => withPathsFrom(e, dirname(file)));
  } catch (err) {
    if (err instanceof TenantsFileError) fail(err.problems);
    throw err;
  }
  const warnings: string[] = [];
  const problems: string[] = [];
  const global = typeof flags['clientSecretFile'] === 'string' ? await readSecretFile(flags['clientSecretFile'], io.stdin) : undefined;
  if (global?.warning) warnings.push(global.warning);
  const tenantSecrets = new Map<string, string>();
  for (const entry of entries) {
    const path = entry.overrides['clientSecretFile'];
    if (typeof path !== 'string' || tenantSecrets.has(path)) continue;
    try {
      const secret = await readSecretFile(path, io.stdin);
      tenantSecrets.set(path, secret.secret);
      if (secret.warning) warnings.push(secret.warning);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.push(`${entry.where}.clientSecretFile: ${err.message}`);
    }
  }
  if (problems.length > 0) fail(problems);
  const fleet = resolveFleetConfig({
    flags,
    env: loaded.env,
    now: io.now(),
    settings,
    entries,
    secretFromFile: global?.secret,
    tenantSecrets,
  });
  const first = fleet.tenants[0]?.config;
  return {
    value: fleet,
    warnings: [...warnings, ...fleet.warnings],
    logLevel: first?.logLevel ?? fallbackLevel(flags, loaded),
    timeoutMs: first?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/** The log level when no tenant's configuration says it (an empty shard). */
function fallbackLevel(flags: Flags, loaded: LoadedEnvironment): LogLevel {
  const level = gather(AUTH_SETTINGS, flags, loaded.env)['logLevel'];
  return LOG_LEVELS.find((l) => l === level) ?? 'info';
}

export async function pullFleet(flags: Flags, settings: FleetSettings, io: CommandIo): Promise<PullResult> {
  const { value: fleet, log, dispatcher, env } = await setUp(flags, io, (loaded) => planFleet(flags, settings, loaded, io));
  try {
    const first = fleet.tenants[0]?.config;
    const shardNote = fleet.shard ? { shard: `${fleet.shard.index}/${fleet.shard.count}`, listed: fleet.listed } : {};
    if (first === undefined) {
      log.info({ tenantsFile: fleet.tenantsFile, ...shardNote }, 'no tenant of the file falls in this shard: nothing to do');
      return { written: 0, invalid: 0 };
    }
    log.info(
      { tenantsFile: fleet.tenantsFile, tenants: fleet.tenants.length, concurrency: fleet.concurrency, ...shardNote },
      'pulling alerts of many tenants',
    );
    if (fleet.stateDir !== undefined) await makeStateDir(fleet.stateDir);
    const deps = { dispatcher, env, log, io, tools: new Map() };
    if (first.follow === undefined) return await runFleetOnce(fleet, deps, () => openShared(fleet, io));
    return await serveFleet(fleet, first.follow, deps);
  } finally {
    await dispatcher.destroy();
  }
}

/** The state directory, made if missing: owner-only, since state files name tenants and hosts. */
async function makeStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new UsageError(`cannot use --state-dir "${dir}": ${describeFileError(err)}`, {
      cause: err,
      hint: 'give a directory this user may write to',
    });
  }
}
