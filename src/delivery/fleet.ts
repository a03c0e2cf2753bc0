/**
 * The run of a tenants file: the pull of one tenant (run-once.ts), for each tenant, several at once.
 *
 * Each tenant runs exactly the single pull: its own token, retry and throttle budget, quota pacers
 * (kept across the cycles of `--follow`), state file and lock. What they share is the process: one
 * connection pool, one logger, and — unless `--output` names a file per tenant — one output, where
 * each alert carries its tenant's label. A tenant's failure is logged and summed up at the end; it
 * never stops the others, and its state keeps its checkpoint (or, before its first delivery,
 * records the failure).
 */
import type { Dispatcher } from 'undici';
import type { CachedCredential } from '../auth/token-cache.js';
import type { FleetConfig, TenantPlan } from '../config/fleet.js';
import type { Env } from '../config/resolve.js';
import type { CommandIo } from '../context/command-context.js';
import { signIn } from '../context/sign-in.js';
import { ExitCode, INTERNAL_MESSAGE, outcomeLine, outcomeOf, TenantsFailedError, type ErrorCode, type Outcome } from '../errors.js';
import type { RetryPolicy } from '../http/retry.js';
import type { Logger } from '../log.js';
import { shareOutput, type SharedOutput } from '../output/shared-output.js';
import { openSink, type AlertSink } from '../output/sink.js';
import { formatDuration } from '../time.js';
import { forEachLimited } from '../util/limited.js';
import { QuotaPacers } from './create-source.js';
import { warnAbandoned } from './deliver.js';
import type { FollowSettings } from './follow.js';
import type { LockHolder } from './lock-holder.js';
import { writeMetricsFile } from './metrics-file.js';
import { outputOptions, runOnce, type PullResult, type RunOutcome } from './run-once.js';
import { laterCycles, serve } from './service.js';

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
  /** The failure's stable code (AADSTS7000229, API_403, …) and its one line for a person. */
  error?: { code: ErrorCode; message: string };
}

/** What every tenant's run shares, and what each keeps across the cycles of a service. */
export interface FleetDeps {
  shared?: SharedOutput | undefined;
  /** Each tenant's credential and retry policy, kept across --follow cycles (a token lasts an hour). */
  tools: Map<string, { retry: RetryPolicy; credential: CachedCredential; pacers: QuotaPacers }>;
  locks?: LockHolder | undefined;
  dispatcher: Dispatcher;
  env: Env;
  log: Logger;
  io: CommandIo;
}

/** The one output all tenants share (a fresh one per run: a rotated file is started anew). */
export function openShared(fleet: FleetConfig, io: CommandIo): Promise<AlertSink> | undefined {
  return fleet.shared && openSink({ ...fleet.shared, stdout: io.stdout, signal: io.signal });
}

/** One run over every tenant: the run of a plain `pull --tenants`, and each cycle of `--follow`. */
export async function runFleetOnce(
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
 * service (service.ts).
 */
export async function serveFleet(fleet: FleetConfig, settings: FollowSettings, deps: FleetDeps): Promise<PullResult> {
  const { io, log } = deps;
  const shared = fleet.shared;
  // Without a shared output each tenant opens its own file (runTenant): nothing to hold here.
  const outputs = {
    stdout: shared && shared.output === undefined ? () => openSink({ ...shared, stdout: io.stdout, signal: io.signal }) : undefined,
    file: () => openSink({ ...(shared ?? { format: 'ndjson' as const }), stdout: io.stdout }),
  };
  const afterFirst: FleetConfig = { ...fleet, tenants: fleet.tenants.map((t) => ({ ...t, config: laterCycles(t.config) })) };
  return serve(outputs, settings, io, log, async (cycle, { openOutput, locks }) => {
    try {
      return await runFleetOnce(cycle === 1 ? fleet : afterFirst, deps, shared ? openOutput : () => undefined, locks);
    } catch (err) {
      // Some tenants failed, others delivered: each failure was logged, and the failed tenants
      // are tried again next cycle. Only a cycle where all failed counts as the service failing.
      if (err instanceof TenantsFailedError && err.exitCode === ExitCode.someTenantsFailed) return undefined;
      throw err;
    }
  });
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
  const openOutput = async (): Promise<AlertSink> =>
    deps.shared ? deps.shared.view(label) : await openSink({ ...outputOptions(config), stdout: deps.io.stdout });
  let tools = deps.tools.get(label);
  if (tools === undefined) {
    try {
      // Kept for the service's life: the credential, the retry policy and the quota's pacers.
      tools = { ...(await signIn(config, deps.env, log, deps.dispatcher)), pacers: new QuotaPacers() };
      deps.tools.set(label, tools);
    } catch (error) {
      if (deps.io.signal.aborted)
        return { label, alerts: 0, windows: 0, invalid: 0, outcome: 'stopped', durationMs: performance.now() - started };
      return failed(label, log, { written: 0, invalid: 0, windows: 0 }, outcomeOf(error), started);
    }
  }
  const run = await runOnce(config, { ...tools, dispatcher: deps.dispatcher, log, locks: deps.locks }, openOutput, deps.io);
  const base = { label, alerts: run.written, windows: run.windows, invalid: run.invalid };
  if (run.ended === 'stopped') return { ...base, outcome: 'stopped', durationMs: performance.now() - started };
  if (run.error === undefined) return { ...base, outcome: 'ok', durationMs: performance.now() - started };
  return failed(label, log, run, outcomeOf(run.error), started);
}

/** A tenant's failure: one error line, and its outcome for the summary and the metrics. */
function failed(
  label: string,
  log: Logger,
  run: Pick<RunOutcome, 'written' | 'windows' | 'invalid'>,
  failure: Outcome,
  started: number,
): TenantOutcome {
  const base = {
    label,
    alerts: run.written,
    windows: run.windows,
    invalid: run.invalid,
    outcome: 'failed' as const,
    exitCode: failure.exitCode,
  };
  const durationMs = performance.now() - started;
  if (failure.stack === undefined) {
    const message = outcomeLine(failure);
    log.error({ exitCode: failure.exitCode, code: failure.code }, `tenant failed: ${message}`);
    return { ...base, durationMs, error: { code: failure.code, message } };
  }
  // A bug: the stack goes to the log, and the other tenants go on.
  log.error({ exitCode: failure.exitCode, stack: failure.stack }, `tenant failed: ${INTERNAL_MESSAGE}`);
  return { ...base, durationMs, error: { code: failure.code, message: failure.message } };
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
