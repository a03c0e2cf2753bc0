/**
 * One configuration's pull, plain or with its state (pull-state.ts), into the output it is given:
 * what `pull` runs once, and `pull --tenants` once per tenant (pull-fleet.ts).
 */
import type { Dispatcher } from 'undici';
import { withSchema } from '../api/with-schema.js';
import type { InvalidAlert } from '../api/source.js';
import type { CachedCredential } from '../auth/token-cache.js';
import type { PullConfig } from '../config/resolve.js';
import { DataError } from '../errors.js';
import type { RetryPolicy } from '../http/retry.js';
import type { Logger } from '../log.js';
import type { Progress } from '../output/progress.js';
import type { OpenSinkOptions } from '../output/sink.js';
import type { CommandIo } from './context.js';
import { createSource, type QuotaPacers } from './create-source.js';
import { fixedWindows } from './window-prefetch.js';
import { deliver, PASS_THROUGH, type OpenOutput } from './deliver.js';
import { runStatefulPull, type LockHolder } from './pull-state.js';

export interface PullResult {
  written: number;
  /** Alerts that failed validation (each was logged); more than 0 fails the run with exit 65. */
  invalid: number;
}

/** What one pull did. */
export interface PullRun extends PullResult {
  windows: number;
  /** False when the reader closed the output early (`| head`): not complete, not a failure. */
  complete: boolean;
}

/** What a pull signs in and sends with: one set per tenant. */
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

/** Where and how a configuration's alerts are written: the one place sink options come from. */
export function outputOptions(config: PullConfig): Omit<OpenSinkOptions, 'stdout'> {
  return { format: config.format, output: config.output, append: config.append, split: config.split };
}

/** Invalid alerts fail the run (exit 65) once every valid alert was written. */
export function failOnInvalid(invalid: number, written: number): void {
  if (invalid === 0) return;
  throw new DataError(
    'INVALID_ALERTS',
    `${invalid} alert(s) failed validation and were not written; ${written} valid alert(s) were written`,
    { hint: 'each invalid alert is described in the log above; please report it if the API changed' },
  );
}

/** One configuration's pull, plain or with its state, into what `openOutput` opens. */
export async function runPull(
  config: PullConfig,
  tools: PullTools,
  openOutput: OpenOutput,
  io: Pick<CommandIo, 'signal' | 'now' | 'pause'> & { progress?: Progress | undefined },
): Promise<PullRun> {
  const { log } = tools;
  // Each invalid alert is logged as it is found; only the count is kept (memory stays flat).
  let invalid = 0;
  const onInvalid = (report: InvalidAlert): void => {
    invalid++;
    log.error(
      { alertId: report.alertId ?? null, index: report.index, problems: report.problems },
      `invalid alert ${report.alertId ?? `#${report.index}`}: ${report.problems.join('; ')}`,
    );
  };
  const sourceContext = {
    credential: tools.credential,
    dispatcher: tools.dispatcher,
    retry: tools.retry,
    timeoutMs: config.timeoutMs,
    log,
    onInvalid,
  };
  const source = withSchema(await createSource(config, sourceContext, tools.pacers), config.schema);
  const run =
    config.state === undefined
      ? await deliver(source, fixedWindows([config.query]), PASS_THROUGH, openOutput, io, log)
      : await runStatefulPull(config, config.state, source, openOutput, io, log, {
          requests: tools.retry.stats,
          invalid: () => invalid,
          locks: tools.locks,
        });
  return { ...run, invalid };
}
