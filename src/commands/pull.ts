/**
 * `defender-alerts pull`: fetch alerts and stream them, validated, to stdout or a file — once, or
 * with `--state` from where the last run stopped; for one tenant, or with `--tenants` for each
 * tenant of a file (pull-fleet.ts); with `--follow`, as a service. Every form runs the same run
 * (delivery/run-once.ts) through the same loop; this file only composes them.
 */
import { fleetSettings } from '../config/fleet.js';
import { fail } from '../config/fields.js';
import type { Problem } from '../config/problems.js';
import { resolvePullConfig, type Flags, type PullConfig } from '../config/resolve.js';
import { buildContext, type CommandContext, type CommandIo } from '../context/command-context.js';
import type { FollowSettings } from '../delivery/follow.js';
import { QuotaPacers } from '../delivery/create-source.js';
import { outputOptions, runAndMeasure, type PullResult } from '../delivery/run-once.js';
import { laterCycles, serve } from '../delivery/service.js';
import { openSink } from '../output/sink.js';

export type { PullResult } from '../delivery/run-once.js';

export async function pullCommand(flags: Flags, io: CommandIo): Promise<PullResult> {
  const problems: Problem[] = [];
  const fleet = fleetSettings(flags, io.env, problems);
  if (problems.length > 0) fail(problems);
  if (fleet !== undefined) {
    const { pullFleet } = await import('./pull-fleet.js');
    return pullFleet(flags, fleet, io);
  }
  const ctx = await buildContext(flags, io, resolvePullConfig);
  try {
    return ctx.config.follow === undefined ? await pullOnce(ctx, io) : await followOne(ctx, ctx.config.follow, io);
  } finally {
    // destroy, not close: a request abandoned mid-answer (a refused page, a closed pipe) must not
    // keep the process waiting for a body nobody reads.
    await ctx.dispatcher.destroy();
  }
}

/** A plain pull (or one `--state` run): one run, its end logged, its failure thrown for cli.ts to report. */
async function pullOnce(ctx: CommandContext<PullConfig>, io: CommandIo): Promise<PullResult> {
  const { config, log } = ctx;
  const openOutput = () => openSink({ ...outputOptions(config), stdout: io.stdout, signal: io.signal });
  // A run by hand on a terminal shows its progress (a --follow service logs cycles instead).
  const progress = io.progressLine?.();
  const stopWatching = progress && ctx.retry.stats?.onThrottle((ms) => progress.waiting(ms));
  try {
    const run = await runAndMeasure(config, ctx, openOutput, { ...io, progress });
    // A reader that closed the output early (`| head`) ended the run: not complete, not a failure.
    // Unless a signal came too (a stopped pipeline: both at once): a stop is 128 + signal, whichever won.
    if (run.ended === 'stopped') {
      io.signal.throwIfAborted();
      return run;
    }
    if (run.ended === 'complete') {
      const where = config.state === undefined ? { output: config.output ?? 'stdout' } : { state: config.state.path };
      log.info({ alerts: run.written, windows: run.windows, invalid: run.invalid, ...where }, 'pull complete');
    }
    if (run.error !== undefined) throw run.error;
    return { written: run.written, invalid: run.invalid };
  } finally {
    stopWatching?.();
  }
}

/** `pull --state … --follow` for one tenant: a run every interval, inside the service (delivery/service.ts). */
async function followOne(ctx: CommandContext<PullConfig>, settings: FollowSettings, io: CommandIo): Promise<PullResult> {
  const { config, log } = ctx;
  const afterFirst = laterCycles(config);
  const outputs = {
    stdout: config.output === undefined ? () => openSink({ ...outputOptions(config), stdout: io.stdout, signal: io.signal }) : undefined,
    file: () => openSink({ ...outputOptions(config), append: true, stdout: io.stdout }),
  };
  // The quota counts calls across cycles: one set of pacers for the service.
  const pacers = new QuotaPacers();
  return serve(outputs, settings, io, log, async (cycle, { openOutput, locks }) => {
    const run = await runAndMeasure(cycle === 1 ? config : afterFirst, { ...ctx, locks, pacers }, openOutput, io);
    if (run.ended === 'stopped') return io.signal.aborted ? undefined : 'stop';
    if (run.ended === 'failed' && run.error) throw run.error;
    // Invalid alerts were reported one by one; the checkpoint moved on, as in a single run.
    const level = run.invalid > 0 ? 'error' : 'info';
    log[level]({ cycle, alerts: run.written, windows: run.windows, invalid: run.invalid }, 'cycle complete');
    return run;
  });
}
