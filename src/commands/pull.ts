/**
 * `defender-alerts pull`: fetch alerts and stream them, validated, to stdout or a file — once, or
 * with `--state` from where the last run stopped (pull-state.ts); for one tenant, or with
 * `--tenants` for each tenant of a file (pull-fleet.ts). Both run run-pull.ts, and all of it goes
 * through one delivery loop (deliver.ts).
 */
import { fleetSettings } from '../config/fleet.js';
import { fail } from '../config/fields.js';
import { resolvePullConfig, type Flags } from '../config/resolve.js';
import { ExitCode, outcomeOf } from '../errors.js';
import { openSink } from '../output/sink.js';
import { buildContext, type CommandIo } from './context.js';
import { writeRunMetrics } from './metrics-file.js';
import { failOnInvalid, outputOptions, runPull, type PullResult } from './run-pull.js';

export type { PullResult } from './run-pull.js';

export async function pullCommand(flags: Flags, io: CommandIo): Promise<PullResult> {
  const problems: string[] = [];
  const fleet = fleetSettings(flags, io.env, problems);
  if (problems.length > 0) fail(problems);
  if (fleet !== undefined) {
    const { pullFleet } = await import('./pull-fleet.js');
    return pullFleet(flags, fleet, io);
  }
  const ctx = await buildContext(flags, io, resolvePullConfig);
  const { config, log } = ctx;
  if (config.follow !== undefined) {
    const { followPull } = await import('./pull-follow.js');
    try {
      return await followPull(ctx, config.follow, io);
    } finally {
      await ctx.dispatcher.destroy();
    }
  }
  const openOutput = () => openSink({ ...outputOptions(config), stdout: io.stdout, signal: io.signal });
  let exitCode: number = ExitCode.internal;
  // A run by hand on a terminal shows its progress (a --follow service logs cycles instead).
  const progress = io.progressLine?.();
  const stopWatching = progress && ctx.retry.stats?.onThrottle((ms) => progress.waiting(ms));
  try {
    const run = await runPull(config, ctx, openOutput, { ...io, progress });
    exitCode = run.invalid > 0 ? ExitCode.data : ExitCode.ok;
    // A reader that closed the output early (`| head`) ended the run: not complete, not a failure.
    // Unless a signal came too (a stopped pipeline: both at once): a stop is 128 + signal, whichever won.
    if (!run.complete) {
      io.signal.throwIfAborted();
      return run;
    }
    const where = config.state === undefined ? { output: config.output ?? 'stdout' } : { state: config.state.path };
    log.info({ alerts: run.written, windows: run.windows, invalid: run.invalid, ...where }, 'pull complete');
    failOnInvalid(run.invalid, run.written);
    return { written: run.written, invalid: run.invalid };
  } catch (err) {
    exitCode = outcomeOf(err).exitCode;
    throw err;
  } finally {
    stopWatching?.();
    await writeRunMetrics(config, exitCode, io.now(), log);
    // destroy, not close: a request abandoned mid-answer (a refused page, a closed pipe) must not
    // keep the process waiting for a body nobody reads.
    await ctx.dispatcher.destroy();
  }
}
