/**
 * `pull --state … --follow` for one tenant: the service around runPull. Its state's lock is held
 * for the whole service; stdout is opened once (each cycle writes through a view of it); an
 * `--output` file is opened afresh each cycle, appended to and fsynced before the state moves, so a
 * file that logrotate moved away is started anew at the next cycle without losing a line. SIGHUP
 * (logrotate's postrotate) is logged and does not stop the service.
 */
import type { PullConfig } from '../config/resolve.js';
import { ExitCode, outcomeOf } from '../errors.js';
import { openSink } from '../output/sink.js';
import type { CommandContext, CommandIo } from './context.js';
import { follow, laterCycles, withServiceResources, type FollowSettings } from './follow.js';
import { writeRunMetrics } from './metrics-file.js';
import { QuotaPacers } from './create-source.js';
import { outputOptions, runPull, type PullResult } from './run-pull.js';

export async function followPull(ctx: CommandContext<PullConfig>, settings: FollowSettings, io: CommandIo): Promise<PullResult> {
  const { config, log } = ctx;
  const afterFirst = laterCycles(config);
  let written = 0;
  let invalid = 0;
  const open = {
    stdout: config.output === undefined ? () => openSink({ ...outputOptions(config), stdout: io.stdout, signal: io.signal }) : undefined,
    file: () => openSink({ ...outputOptions(config), append: true, stdout: io.stdout }),
  };
  // The quota counts calls across cycles: one set of pacers for the service.
  const pacers = new QuotaPacers();
  return withServiceResources(open, io, log, async ({ openOutput, locks }) => {
    await follow(
      async (cycle) => {
        // Each cycle is a run of its own: a fresh --max-throttle-wait budget.
        ctx.retry.throttle?.refill();
        let exitCode: number = ExitCode.internal;
        let run: Awaited<ReturnType<typeof runPull>>;
        try {
          run = await runPull(cycle === 1 ? config : afterFirst, { ...ctx, locks, pacers }, openOutput, io);
          if (!run.complete) return io.signal.aborted ? undefined : 'stop';
          written += run.written;
          invalid += run.invalid;
          exitCode = ExitCode.ok;
        } catch (err) {
          exitCode = outcomeOf(err).exitCode;
          throw err;
        } finally {
          // Before the line below: whoever watches the log for it may read the file at once.
          await writeRunMetrics(config, exitCode, io.now(), log);
        }
        // Invalid alerts were reported one by one; the checkpoint moved on, as in a single run.
        const level = run.invalid > 0 ? 'error' : 'info';
        log[level]({ cycle, alerts: run.written, windows: run.windows, invalid: run.invalid }, 'cycle complete');
      },
      settings,
      { signal: io.signal, now: io.now, log },
    );
    return { written, invalid };
  });
}
