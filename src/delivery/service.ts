/**
 * `pull --follow` as a service, for one tenant or a tenants file alike: what the service holds for
 * its whole life, and the cycles (follow.ts) run inside it.
 *
 * Its states' locks are held throughout, so a cron run against the same state gets exit 75 for as
 * long as the service lives. Stdout is opened once (each cycle writes through a view of it); an
 * `--output` file is opened afresh each cycle, appended to and fsynced before any state moves, so a
 * file that logrotate moved away is started anew at the next cycle without losing a line. SIGHUP
 * (logrotate's postrotate) is logged and does not stop the service.
 */
import type { PullConfig } from '../config/resolve.js';
import type { CommandIo } from '../context/command-context.js';
import type { Logger } from '../log.js';
import { shareOutput } from '../output/shared-output.js';
import type { AlertSink } from '../output/sink.js';
import { follow, type FollowSettings } from './follow.js';
import { holdLocks, type HeldLocks } from './lock-holder.js';
import type { PullResult } from './run-once.js';

/** What a service holds for its whole life, as the cycles use it. */
export interface ServiceResources {
  /** Where a cycle writes: a view of stdout (opened once for the service), or the file opened afresh. */
  openOutput: () => Promise<AlertSink>;
  locks: HeldLocks;
}

/** How the service's output is opened: stdout once for the service, a file once a cycle. */
export interface ServiceOutputs {
  /** Opens stdout; undefined when the output is a file (or one per tenant). */
  stdout: (() => Promise<AlertSink>) | undefined;
  /** Opens the file for one cycle (appending). */
  file: () => Promise<AlertSink>;
}

/**
 * What a cycle did: alerts to add to the service's totals, `'stop'` when its reader went away, or
 * nothing (stopped by a signal, or nothing to count). A cycle that failed throws.
 */
export type CycleEnd = PullResult | 'stop' | undefined;

/**
 * Runs `cycle` every interval until stopped, with the service's resources, and releases them
 * however it ends: the locks first, since ending stdout may wait on its reader (and on a stop,
 * when nothing more is delivered, it does not wait at all). Resolves with what every cycle wrote.
 */
export async function serve(
  outputs: ServiceOutputs,
  settings: FollowSettings,
  io: Pick<CommandIo, 'onHangup' | 'signal' | 'now'>,
  log: Logger,
  cycle: (n: number, held: ServiceResources) => Promise<CycleEnd>,
): Promise<PullResult> {
  const locks = holdLocks();
  const stdout = outputs.stdout && shareOutput(await outputs.stdout());
  const stopListening = io.onHangup?.(() => log.info('SIGHUP: the output file is opened afresh at the next cycle'));
  const held: ServiceResources = { openOutput: stdout ? () => Promise.resolve(stdout.view()) : outputs.file, locks };
  const total: PullResult = { written: 0, invalid: 0 };
  try {
    await follow(
      async (n) => {
        const end = await cycle(n, held);
        if (end === 'stop') return 'stop';
        if (end === undefined) return undefined;
        total.written += end.written;
        total.invalid += end.invalid;
        return undefined;
      },
      settings,
      { signal: io.signal, now: io.now, log },
    );
    return total;
  } finally {
    stopListening?.();
    await locks.releaseAll();
    await (io.signal.aborted ? stdout?.sink.finish() : stdout?.sink.close())?.catch(() => {});
  }
}

/**
 * The configuration of a service's cycles after the first: `--since`/`--ago` decide the first cycle
 * only, and the state decides the others, as for cron runs (which would otherwise say so every cycle).
 */
export function laterCycles(config: PullConfig): PullConfig {
  const { since: _since, ago: _ago, ...query } = config.query;
  return { ...config, query };
}
