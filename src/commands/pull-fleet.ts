/**
 * `pull --tenants <file>`: the pull of one tenant, for each tenant of a file, several at once.
 *
 * Each tenant runs exactly the single pull (run-pull.ts `runPull`): its own token, retry and
 * throttle budget, quota pacers (kept across the cycles of `--follow`), state file and lock. What
 * they share is the process: one connection pool, one logger, and — unless `--output` names a file
 * per tenant — one output, where each alert carries its tenant's label. A tenant's failure is
 * logged and summed up at the end; it never stops the others, and its state keeps its checkpoint
 * (or, before its first delivery, records the failure).
 */
import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Dispatcher } from 'undici';
import { resolveFleetConfig, withPathsFrom, type FleetConfig, type FleetSettings, type TenantPlan } from '../config/fleet.js';
import { readSecretFile, readTenantsText } from '../config/files.js';
import { fail, gather } from '../config/fields.js';
import type { Flags } from '../config/resolve.js';
import { AUTH_SETTINGS } from '../config/spec.js';
import { parseTenantsFile, TenantsFileError, type TenantEntry } from '../config/tenants.js';
import { ExitCode, INTERNAL_MESSAGE, outcomeLine, outcomeOf, TenantsFailedError, UsageError } from '../errors.js';
import type { CachedCredential } from '../auth/token-cache.js';
import type { RetryPolicy } from '../http/retry.js';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from '../log.js';
import { shareOutput, type SharedOutput } from '../output/shared-output.js';
import { openSink, type AlertSink } from '../output/sink.js';
import { formatDuration } from '../time.js';
import { describeFileError } from '../util/errno.js';
import { forEachLimited } from '../util/limited.js';
import { loadEnvironment, runDispatcher, signIn, warnAboutConfiguration, type CommandIo, type LoadedEnvironment } from './context.js';
import { QuotaPacers } from './create-source.js';
import { warnAbandoned } from './deliver.js';
import { writeMetricsFile } from './metrics-file.js';
import { follow, laterCycles, withServiceResources, type FollowSettings } from './follow.js';
import type { LockHolder } from './pull-state.js';
import { failOnInvalid, outputOptions, runPull, type PullResult } from './run-pull.js';

/** How one tenant's run ended. */
export interface TenantOutcome {
  label: string;
  /** ok; failed (see exitCode); stopped by Ctrl-C or a closed output; skipped: never started. */
  outcome: 'ok' | 'failed' | 'stopped' | 'skipped';
  /** Alerts written (for a failed tenant: before it failed). */
  alerts: number;
  windows: number;
  invalid: number;
  durationMs: number;
  exitCode?: ExitCode;
  /** The failure's stable code (AADSTS7000229, HTTP_403, …) and its one line for a person. */
  error?: { code: string; message: string };
}

/** Reads and resolves the tenants file, the secrets it names, and every tenant's configuration. */
async function planFleet(
  flags: Flags,
  settings: FleetSettings,
  loaded: LoadedEnvironment,
  io: CommandIo,
): Promise<{ fleet: FleetConfig; warnings: string[] }> {
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
  return { fleet, warnings };
}

/** The log level when no tenant's configuration says it (an empty shard). */
function fallbackLevel(flags: Flags, loaded: LoadedEnvironment): LogLevel {
  const level = gather(AUTH_SETTINGS, flags, loaded.env)['logLevel'];
  return LOG_LEVELS.find((l) => l === level) ?? 'info';
}

export async function pullFleet(flags: Flags, settings: FleetSettings, io: CommandIo): Promise<PullResult> {
  const loaded = await loadEnvironment(flags, io);
  const { fleet, warnings } = await planFleet(flags, settings, loaded, io);
  const first = fleet.tenants[0]?.config;
  const log = createLogger(first?.logLevel ?? fallbackLevel(flags, loaded));
  for (const warning of warnings) log.warn(warning);
  await warnAboutConfiguration(flags, loaded, log);
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
  const dispatcher = await runDispatcher(loaded, first.timeoutMs);
  const deps: FleetDeps = { shared: undefined, dispatcher, env: loaded.env, log, io, tools: new Map() };
  try {
    if (first.follow === undefined) return await runFleetOnce(fleet, deps, () => openShared(fleet, io));
    return await followFleet(fleet, first.follow, deps);
  } finally {
    await dispatcher.destroy();
  }
}

/** The one output all tenants share (a fresh one per run: a rotated file is started anew). */
function openShared(fleet: FleetConfig, io: CommandIo): Promise<AlertSink> | undefined {
  return fleet.shared && openSink({ ...fleet.shared, stdout: io.stdout, signal: io.signal });
}

/** One run over every tenant: the run of a plain `pull --tenants`, and each cycle of `--follow`. */
async function runFleetOnce(
  fleet: FleetConfig,
  deps: FleetDeps,
  open: () => Promise<AlertSink> | undefined,
  locks?: LockHolder,
): Promise<PullResult> {
  const { log, io } = deps;
  const first = fleet.tenants[0]?.config;
  const started = performance.now();
  const opened = open();
  const sink = opened && (await opened);
  const shared = sink && shareOutput(sink);
  try {
    const outcomes = await runTenants(fleet, { ...deps, shared, locks });
    if (sink) await endShared(sink, outcomes, io.signal);
    if (first?.metricsFile !== undefined) await writeFleetMetrics(first.metricsFile, fleet, outcomes, io.now(), log);
    const result = summarize(outcomes, log, performance.now() - started, fleet.stateDir !== undefined);
    // Stopped by a signal: not a success, whatever the tenants that finished did (exit 128 + signal).
    io.signal.throwIfAborted();
    return result;
  } catch (err) {
    await sink?.abort().catch((problem: unknown) => warnAbandoned(problem, log));
    throw err;
  }
}

/**
 * `pull --tenants … --follow`: every tenant, every interval, the state locks held for the whole
 * service. Stdout is opened once (each cycle writes through a view of it); a file, once a cycle.
 */
async function followFleet(fleet: FleetConfig, settings: FollowSettings, deps: FleetDeps): Promise<PullResult> {
  const { io, log } = deps;
  const shared = fleet.shared;
  // Without a shared output each tenant opens its own file (runTenant): nothing to hold here.
  const open = {
    stdout: shared && shared.output === undefined ? () => openSink({ ...shared, stdout: io.stdout, signal: io.signal }) : undefined,
    file: () => openSink({ ...(shared ?? { format: 'ndjson' as const }), stdout: io.stdout }),
  };
  const total: PullResult = { written: 0, invalid: 0 };
  const afterFirst: FleetConfig = { ...fleet, tenants: fleet.tenants.map((t) => ({ ...t, config: laterCycles(t.config) })) };
  return withServiceResources(open, io, log, async ({ openOutput, locks }) => {
    await follow(
      async (cycle) => {
        try {
          const run = await runFleetOnce(cycle === 1 ? fleet : afterFirst, deps, shared ? openOutput : () => undefined, locks);
          total.written += run.written;
          total.invalid += run.invalid;
        } catch (err) {
          // Some tenants failed, others delivered: each failure was logged, and the failed tenants
          // are tried again next cycle. Only a cycle where all failed counts as the service failing.
          if (err instanceof TenantsFailedError && err.exitCode === ExitCode.someTenantsFailed) return;
          throw err;
        }
      },
      settings,
      { signal: io.signal, now: io.now, log },
    );
    return total;
  });
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

/** The metrics of every tenant that has a state, in one file. */
async function writeFleetMetrics(
  path: string,
  fleet: FleetConfig,
  outcomes: readonly TenantOutcome[],
  now: Date,
  log: Logger,
): Promise<void> {
  const targets = fleet.tenants.flatMap((plan, i) => {
    const o = outcomes[i];
    if (plan.config.state === undefined || o === undefined || o.outcome === 'skipped') return [];
    const exitCode = o.outcome === 'failed' ? (o.exitCode ?? ExitCode.internal) : ExitCode.ok;
    return [
      {
        api: plan.config.api,
        tenant: plan.label,
        statePath: plan.config.state.path,
        attempt: { finishedAt: now, ok: o.outcome === 'ok', exitCode },
      },
    ];
  });
  await writeMetricsFile(path, targets, now, log);
}

interface FleetDeps {
  shared: SharedOutput | undefined;
  /** Each tenant's credential and retry policy, kept across --follow cycles (a token lasts an hour). */
  tools: Map<string, { retry: RetryPolicy; credential: CachedCredential; pacers: QuotaPacers }>;
  locks?: LockHolder | undefined;
  dispatcher: Dispatcher;
  env: LoadedEnvironment['env'];
  log: Logger;
  io: CommandIo;
}

async function runTenants(fleet: FleetConfig, deps: FleetDeps): Promise<TenantOutcome[]> {
  const outcomes: TenantOutcome[] = fleet.tenants.map((t) => ({
    label: t.label,
    outcome: 'skipped',
    alerts: 0,
    windows: 0,
    invalid: 0,
    durationMs: 0,
  }));
  // A closed output (`| head`) or Ctrl-C ends the run: tenants not yet started are not started.
  let outputClosed = false;
  await forEachLimited(
    fleet.tenants,
    fleet.concurrency,
    async (plan, i) => {
      const outcome = await runTenant(plan, deps);
      if (outcome.outcome === 'stopped' && !deps.io.signal.aborted) outputClosed = true;
      outcomes[i] = outcome;
    },
    () => outputClosed || deps.io.signal.aborted,
  );
  return outcomes;
}

/** One tenant's pull; never throws: a failure becomes its outcome (and one error line). */
async function runTenant(plan: TenantPlan, deps: FleetDeps): Promise<TenantOutcome> {
  const { config, label } = plan;
  const log = deps.log.child({ tenant: label });
  const started = performance.now();
  let sink: AlertSink | undefined;
  const openOutput = async (): Promise<AlertSink> => {
    sink = deps.shared ? deps.shared.view(label) : await openSink({ ...outputOptions(config), stdout: deps.io.stdout });
    return sink;
  };
  const base = { label, windows: 0, invalid: 0 };
  try {
    let tools = deps.tools.get(label);
    if (tools === undefined) {
      // Kept for the service's life: the credential, the retry policy and the quota's pacers.
      tools = { ...(await signIn(config, deps.env, log, deps.dispatcher)), pacers: new QuotaPacers() };
      deps.tools.set(label, tools);
    }
    const { retry, credential, pacers } = tools;
    retry.throttle?.refill();
    const run = await runPull(
      config,
      { credential, dispatcher: deps.dispatcher, retry, log, locks: deps.locks, pacers },
      openOutput,
      deps.io,
    );
    const outcome = { ...base, alerts: run.written, windows: run.windows, invalid: run.invalid };
    if (!run.complete) return { ...outcome, outcome: 'stopped', durationMs: performance.now() - started };
    failOnInvalid(run.invalid, run.written);
    return { ...outcome, outcome: 'ok', durationMs: performance.now() - started };
  } catch (err) {
    const durationMs = performance.now() - started;
    const alerts = sink?.count ?? 0;
    if (deps.io.signal.aborted) return { ...base, alerts, outcome: 'stopped', durationMs };
    const failure = outcomeOf(err);
    if (failure.stack === undefined) {
      const message = outcomeLine(failure);
      log.error({ exitCode: failure.exitCode, code: failure.code }, `tenant failed: ${message}`);
      return { ...base, alerts, outcome: 'failed', durationMs, exitCode: failure.exitCode, error: { code: failure.code, message } };
    }
    // A bug: the stack goes to the log, and the other tenants go on.
    log.error({ exitCode: failure.exitCode, stack: failure.stack }, `tenant failed: ${INTERNAL_MESSAGE}`);
    return {
      ...base,
      alerts,
      outcome: 'failed',
      durationMs,
      exitCode: failure.exitCode,
      error: { code: failure.code, message: failure.message },
    };
  }
}

/**
 * Ends the shared output: closed (a JSON array ended, a file fsynced and renamed) once every tenant
 * is done, finished on Ctrl-C, given up when its reader went away.
 */
async function endShared(sink: AlertSink, outcomes: readonly TenantOutcome[], signal: AbortSignal): Promise<void> {
  if (signal.aborted) return sink.finish();
  const closed = outcomes.some((o) => o.outcome === 'stopped');
  return closed ? sink.abort() : sink.close();
}

/** Logs one line per tenant and an overall line; throws when tenants failed (exit code in errors.ts). */
function summarize(outcomes: readonly TenantOutcome[], log: Logger, durationMs: number, stateful: boolean): PullResult {
  for (const o of outcomes) {
    const line = {
      tenant: o.label,
      outcome: o.outcome,
      alerts: o.alerts,
      windows: o.windows,
      invalid: o.invalid,
      duration: formatDuration(o.durationMs),
      ...(o.exitCode === undefined ? {} : { exitCode: o.exitCode }),
      ...(o.error === undefined ? {} : { error: o.error.code }),
    };
    if (o.outcome === 'failed') log.error(line, 'tenant summary');
    else log.info(line, 'tenant summary');
  }
  const count = (what: TenantOutcome['outcome']) => outcomes.filter((o) => o.outcome === what).length;
  const failed = outcomes.filter((o) => o.outcome === 'failed');
  const written = outcomes.reduce((sum, o) => sum + o.alerts, 0);
  const invalid = outcomes.reduce((sum, o) => sum + o.invalid, 0);
  const overall = {
    tenants: outcomes.length,
    succeeded: count('ok'),
    failed: failed.length,
    stopped: count('stopped'),
    skipped: count('skipped'),
    alerts: written,
    duration: formatDuration(durationMs),
  };
  if (failed.length === 0) {
    log.info(overall, 'pull complete');
    return { written, invalid };
  }
  log.error(overall, `pull finished: ${failed.length} of ${outcomes.length} tenant(s) failed`);
  const codes = new Set(failed.map((o) => o.exitCode));
  const [only] = codes;
  const everyOneAlike = failed.length === outcomes.length && codes.size === 1 && only !== undefined;
  const names = failed.slice(0, 10).map((o) => `${o.label} (exit ${o.exitCode ?? ExitCode.internal}${o.error ? `, ${o.error.code}` : ''})`);
  const more = failed.length > names.length ? ` and ${failed.length - names.length} more` : '';
  throw new TenantsFailedError(
    everyOneAlike ? only : ExitCode.someTenantsFailed,
    `${failed.length} of ${outcomes.length} tenant(s) failed: ${names.join(', ')}${more}`,
    {
      hint: everyOneAlike
        ? `every tenant failed the same way; the first said: ${failed[0]?.error?.message ?? 'see the log'}`
        : `each failure is in the log above (tenant=<name>); the other tenants delivered their alerts${stateful ? ' and moved their state' : ''}`,
    },
  );
}
