/**
 * `defender-alerts pull`: fetch alerts and stream them, validated, to stdout or a file — once, or
 * with `--state` from where the last run stopped (pull-state.ts). Both go through one delivery loop
 * (deliver.ts).
 */
import { withSchema } from '../api/with-schema.js';
import type { InvalidAlert } from '../api/source.js';
import { resolvePullConfig, type Flags } from '../config/resolve.js';
import { DataError } from '../errors.js';
import { buildContext, type CommandIo } from './context.js';
import { createSource } from './create-source.js';
import { deliver, PASS_THROUGH } from './deliver.js';
import { runStatefulPull } from './pull-state.js';

export interface PullResult {
  written: number;
  /** Alerts that failed validation (each was logged); more than 0 fails the run with exit 65. */
  invalid: number;
}

/** Invalid alerts fail the run (exit 65) once every valid alert was written. */
function failOnInvalid(invalid: number, written: number): void {
  if (invalid === 0) return;
  throw new DataError(
    'INVALID_ALERTS',
    `${invalid} alert(s) failed validation and were not written; ${written} valid alert(s) were written`,
    { hint: 'each invalid alert is described in the log above; please report it if the API changed' },
  );
}

export async function pullCommand(flags: Flags, io: CommandIo): Promise<PullResult> {
  const ctx = await buildContext(flags, io, resolvePullConfig);
  const { config, log } = ctx;
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
    credential: ctx.credential,
    dispatcher: ctx.dispatcher,
    retry: ctx.retry,
    timeoutMs: config.timeoutMs,
    log,
    onInvalid,
  };
  const source = withSchema(await createSource(config, sourceContext), config.schema);
  const output = { format: config.format, output: config.output, append: config.append };
  try {
    const run =
      config.state === undefined
        ? {
            ...(await deliver(source, [config.query], PASS_THROUGH, output, io, log)),
            windows: 1,
            where: { output: config.output ?? 'stdout' },
          }
        : { ...(await runStatefulPull(config, config.state, source, io, log)), where: { state: config.state.path } };
    // A reader that closed the output early (`| head`) ended the run: not complete, not a failure.
    if (!run.complete) return { written: run.written, invalid };
    log.info({ alerts: run.written, windows: run.windows, invalid, ...run.where }, 'pull complete');
    failOnInvalid(invalid, run.written);
    return { written: run.written, invalid };
  } finally {
    // destroy, not close: a request abandoned mid-answer (a refused page, a closed pipe) must not
    // keep the process waiting for a body nobody reads.
    await ctx.dispatcher.destroy();
  }
}
