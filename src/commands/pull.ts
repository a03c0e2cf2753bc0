/**
 * `defender-alerts pull`: fetch alerts and stream them, validated, to stdout or a file.
 */
import { createSource } from './create-source.js';
import { withSchema } from '../api/with-schema.js';
import type { AlertSource, InvalidAlert } from '../api/source.js';
import { resolvePullConfig, type Flags, type PullConfig } from '../config/resolve.js';
import { DataError, OutputClosedError } from '../errors.js';
import { openSink } from '../output/sink.js';
import type { Logger } from '../log.js';
import { buildContext, type CommandIo } from './context.js';
import { runStatefulPull } from './pull-state.js';

/** How many alerts failed validation so far in this run. */
export interface InvalidCount {
  count: number;
}

export interface PullResult {
  written: number;
  invalid: number;
}

/**
 * Copies every alert of `source` to the sink. Valid alerts are always written; invalid ones are
 * reported one by one and then fail the run (exit 65) after the output is complete.
 */
export async function runPull(
  config: PullConfig,
  source: AlertSource,
  invalid: InvalidCount,
  io: Pick<CommandIo, 'stdout' | 'signal' | 'now'>,
  log: Logger,
): Promise<PullResult> {
  const sink = await openSink({ format: config.format, output: config.output, stdout: io.stdout, append: config.append });
  try {
    for await (const alert of source.fetch(config.query, io.signal)) {
      // Only a backpressured (or failed) destination makes write() return a promise.
      const pending = sink.write(alert.raw);
      if (pending !== undefined) await pending;
    }
    await sink.close();
  } catch (err) {
    // Stopped by a signal: still end the output cleanly (close the JSON array); otherwise give up.
    await (io.signal.aborted ? sink.finish() : sink.abort());
    if (err instanceof OutputClosedError) {
      log.debug('the reader closed the output; stopping');
      return { written: sink.count, invalid: invalid.count };
    }
    throw err;
  }
  log.info({ alerts: sink.count, invalid: invalid.count, output: config.output ?? 'stdout' }, 'pull complete');
  failOnInvalid(invalid, sink.count);
  return { written: sink.count, invalid: 0 };
}

/** Invalid alerts fail the run (exit 65) once every valid alert was written. */
function failOnInvalid(invalid: InvalidCount, written: number): void {
  if (invalid.count === 0) return;
  throw new DataError(
    'INVALID_ALERTS',
    `${invalid.count} alert(s) failed validation and were not written; ${written} valid alert(s) were written`,
    { hint: 'each invalid alert is described in the log above; please report it if the API changed' },
  );
}

export async function pullCommand(flags: Flags, io: CommandIo): Promise<PullResult> {
  const ctx = await buildContext(flags, io, resolvePullConfig);
  const { config, log } = ctx;
  // Each invalid alert is logged as it is found; only the count is kept (memory stays flat).
  const invalid: InvalidCount = { count: 0 };
  const onInvalid = (report: InvalidAlert): void => {
    invalid.count++;
    log.error(
      { alertId: report.alertId ?? null, index: report.index, problems: report.problems },
      `invalid alert ${report.alertId ?? `#${report.index}`}: ${report.problems.join('; ')}`,
    );
  };
  const sourceContext = { credential: ctx.credential, dispatcher: ctx.dispatcher, retry: ctx.retry, timeoutMs: config.timeoutMs, log, onInvalid };
  const source = withSchema(await createSource(config, sourceContext), config.schema);
  try {
    if (config.state === undefined) return await runPull(config, source, invalid, io, log);
    const result = await runStatefulPull(config, config.state, source, io, log);
    log.info({ alerts: result.written, windows: result.windows, invalid: invalid.count, state: config.state.path }, 'pull complete');
    failOnInvalid(invalid, result.written);
    return { written: result.written, invalid: 0 };
  } finally {
    // destroy, not close: a request abandoned mid-answer (a refused page, a closed pipe) must not
    // keep the process waiting for a body nobody reads.
    await ctx.dispatcher.destroy();
  }
}
