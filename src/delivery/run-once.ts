/**
 * One configuration's run, plain or with its state (state-session.ts), into the output it is
 * given, and how it ended: what a plain `pull` runs once, a `--follow` service once a cycle, and
 * `pull --tenants` once per tenant (fleet.ts). Each of them reports the {@link RunOutcome}; none
 * works out an exit code for itself.
 */
import type { Dispatcher } from 'undici';
import { withSchema } from '../api/with-schema.js';
import type { AlertQuery, InvalidAlert } from '../api/source.js';
import type { CachedCredential } from '../auth/token-cache.js';
import type { PullConfig } from '../config/resolve.js';
import type { CommandIo } from '../context/command-context.js';
import { DataError, ExitCode, outcomeOf } from '../errors.js';
import type { RetryPolicy } from '../http/retry.js';
import type { Logger } from '../log.js';
import type { Progress } from '../output/progress.js';
import type { AlertSink, OpenSinkOptions } from '../output/sink.js';
import { createSource, type QuotaPacers } from './create-source.js';
import { deliver, PASS_THROUGH, type OpenOutput } from './deliver.js';
import type { LockHolder } from './lock-holder.js';
import { writeMetricsFile } from './metrics-file.js';
import { deliverWithState } from './state-session.js';
import { fixedWindows, inTurn } from './windows.js';

export interface PullResult {
  written: number;
  /** Alerts that failed validation (each was logged); more than 0 fails the run with exit 65. */
  invalid: number;
}

/**
 * How one run ended:
 * - `complete`: every window was delivered (invalid alerts, if any, fail it with exit 65 all the same);
 * - `stopped`: the reader closed the output early (`| head`), or a stop was requested;
 * - `failed`: `error` ended it.
 */
export interface RunOutcome extends PullResult {
  ended: 'complete' | 'stopped' | 'failed';
  /** Windows read to their end. */
  windows: number;
  /** The run's exit code: 0, 65 for invalid alerts, or the failure's. */
  exitCode: ExitCode;
  /** What makes the run fail (a thrown error, or the invalid alerts'); absent when it did not. `outcomeOf` reports it. */
  error?: Error | undefined;
}

/** What a run signs in and sends with: one set per tenant. */
export interface PullTools {
  credential: CachedCredential;
  dispatcher: Dispatcher;
  retry: RetryPolicy;
  log: Logger;
  /** Locks held across runs (`--follow`); absent: each run takes and releases its own. */
  locks?: LockHolder | undefined;
  /** The tenant's pacers, kept across the runs of a service; absent: this run's own. */
  pacers?: QuotaPacers | undefined;
}

export type RunIo = Pick<CommandIo, 'signal' | 'now' | 'pause'> & { progress?: Progress | undefined };

/** Where and how a configuration's alerts are written: the one place sink options come from. */
export function outputOptions(config: PullConfig): Omit<OpenSinkOptions, 'stdout'> {
  return { format: config.format, output: config.output, append: config.append, split: config.split };
}

function invalidAlerts(invalid: number, written: number): DataError {
  return new DataError(
    'INVALID_ALERTS',
    `${invalid} alert(s) failed validation and were not written; ${written} valid alert(s) were written`,
    { hint: 'each invalid alert is described in the log above; please report it if the API changed' },
  );
}

/** Runs one configuration's pull into what `openOutput` opens. Never throws: the outcome says how it ended. */
export async function runOnce(config: PullConfig, tools: PullTools, openOutput: OpenOutput, io: RunIo): Promise<RunOutcome> {
  const { log } = tools;
  // Each run is a run of its own (a service's cycle, a fleet's tenant): a fresh --max-throttle-wait budget.
  tools.retry.throttle?.refill();
  // Each invalid alert is logged as it is found; only the count is kept (memory stays flat).
  let invalid = 0;
  const onInvalid = (report: InvalidAlert): void => {
    invalid++;
    log.error(
      { alertId: report.alertId ?? null, index: report.index, problems: report.problems },
      `invalid alert ${report.alertId ?? `#${report.index}`}: ${report.problems.join('; ')}`,
    );
  };
  // The sink this run opened: what it wrote before a failure.
  let sink: AlertSink | undefined;
  const tracked: OpenOutput = async () => (sink = await openOutput());
  try {
    const context = {
      credential: tools.credential,
      dispatcher: tools.dispatcher,
      retry: tools.retry,
      timeoutMs: config.timeoutMs,
      log,
      onInvalid,
    };
    const source = withSchema(await createSource(config, context, tools.pacers), config.schema);
    const run =
      config.state === undefined
        ? await deliver<AlertQuery>(
            { source, windows: inTurn(fixedWindows([config.query])), query: (q) => q, checkpoint: PASS_THROUGH, openOutput: tracked },
            io,
            log,
          )
        : await deliverWithState(
            {
              config,
              state: config.state,
              source,
              openOutput: tracked,
              tally: { requests: tools.retry.stats, invalid: () => invalid, locks: tools.locks },
            },
            io,
            log,
          );
    const result = { written: run.written, invalid, windows: run.windows };
    if (!run.complete) return { ...result, ended: 'stopped', exitCode: ExitCode.ok };
    if (invalid === 0) return { ...result, ended: 'complete', exitCode: ExitCode.ok };
    const error = invalidAlerts(invalid, run.written);
    return { ...result, ended: 'complete', exitCode: ExitCode.data, error };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    // Stopped by a signal: not a failure of its own (the process ends 128 + signal).
    const ended = io.signal.aborted ? 'stopped' : 'failed';
    return { written: sink?.count ?? 0, invalid, windows: 0, ended, exitCode: outcomeOf(err).exitCode, error };
  }
}

/**
 * The run of one configuration that has its own metrics file (a plain pull, a service's cycle):
 * {@link runOnce}, then `--metrics-file` written from the state the run left.
 */
export async function runAndMeasure(config: PullConfig, tools: PullTools, openOutput: OpenOutput, io: RunIo): Promise<RunOutcome> {
  const outcome = await runOnce(config, tools, openOutput, io);
  if (config.metricsFile !== undefined && config.state !== undefined) {
    const now = io.now();
    const attempt = { finishedAt: now, ok: outcome.exitCode === ExitCode.ok, exitCode: outcome.exitCode };
    await writeMetricsFile(
      config.metricsFile,
      [{ api: config.api, tenant: config.tenant, statePath: config.state.path, attempt }],
      now,
      tools.log,
    );
  }
  return outcome;
}
