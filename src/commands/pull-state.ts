/**
 * `pull --state`: the scheduled export. Reads from where the last run stopped (minus an overlap for
 * late alerts), in windows, delivers only alerts not delivered before, and moves the checkpoint
 * only after what it covers was written and flushed (deliver.ts). One run at a time per state file.
 *
 * Delivery: exactly once while runs succeed; at least once across a crash (a run killed between
 * writing and saving the state is repeated by the next run).
 */
import type { AlertSource } from '../api/source.js';
import type { PullConfig, StateConfig } from '../config/resolve.js';
import type { Logger } from '../log.js';
import { Checkpoint, planWindows } from '../state/checkpoint.js';
import { readState, writeState } from '../state/file.js';
import { acquireLock } from '../state/lock.js';
import { NO_PAUSE } from '../state/pause.js';
import { parseIsoDuration } from '../time.js';
import type { CommandIo } from './context.js';
import { deliver, type Delivered, type DeliveryCheckpoint, type OpenOutput } from './deliver.js';

/** The SIEM API's own default window when no start is given: the last two hours (docs/microsoft-apis.md §1). */
const API_DEFAULT_WINDOW_MS = 2 * 3_600_000;

/** Where a first run starts: --since, --ago, or the API's default of two hours. */
export function firstRunSince(config: PullConfig, now: Date): Date {
  if (config.query.since) return config.query.since;
  const back = config.query.ago !== undefined ? parseIsoDuration(config.query.ago) : API_DEFAULT_WINDOW_MS;
  return new Date(now.getTime() - back);
}

export interface StatefulResult extends Delivered {
  windows: number;
}

export async function runStatefulPull(
  config: PullConfig,
  stateConfig: StateConfig,
  source: AlertSource,
  openOutput: OpenOutput,
  io: Pick<CommandIo, 'signal' | 'now' | 'pause'>,
  log: Logger,
): Promise<StatefulResult> {
  const pause = io.pause ?? NO_PAUSE;
  const lock = await acquireLock(stateConfig.path, log);
  try {
    const identity = { api: source.api, tenant: config.tenant, endpoint: config.baseUrl.href };
    const previous = await readState(stateConfig.path, identity);
    const now = io.now();
    if (previous && (config.query.since || config.query.ago !== undefined)) {
      log.info({ state: stateConfig.path }, '--since/--ago apply to the first run only; the state file decides where this run starts');
    }
    const checkpoint = new Checkpoint(identity, previous, stateConfig.overlapMs);
    const { since, clamped } = checkpoint.startFrom(firstRunSince(config, now));
    if (clamped) {
      log.warn(
        { state: stateConfig.path, since: since.toISOString() },
        '--overlap is larger than when the state was saved: alerts older than the saved overlap count as delivered in this run; the full overlap applies from the next run',
      );
    }
    const until = config.query.until ?? now;
    const windows = planWindows(since, until, stateConfig.windowMs);
    if (previous && windows.length === 0 && config.query.until === undefined) {
      // The checkpoint is ahead of this machine's clock: nothing can be read until the clock
      // passes it. Said loudly, because alerts of the gap arrive only as late as the overlap allows.
      log.warn(
        { state: stateConfig.path, readUntil: previous.readUntil, now: now.toISOString() },
        "the state file's readUntil is later than this machine's clock (did the clock go back?): nothing read this run",
      );
    }
    log.info(
      { state: stateConfig.path, since: since.toISOString(), until: until.toISOString(), windows: windows.length, firstRun: !previous },
      'reading alerts since the checkpoint',
    );
    const { ago: _ago, ...query } = config.query;
    const delivery: DeliveryCheckpoint = {
      admit: (alert) => checkpoint.admit(alert),
      readTo: (window) => checkpoint.readTo(window.until ?? until),
      commit: async () => {
        await writeState(stateConfig.path, checkpoint.state(io.now()), pause);
        await pause('after-commit');
      },
      // Stdout and an appended file have delivered what was flushed, so the state may move window
      // by window. A replaced --output file exists only once renamed at the end: the state waits.
      perWindow: config.output === undefined || config.append,
    };
    const result = await deliver(
      source,
      windows.map((w) => ({ ...query, since: w.since, until: w.until })),
      delivery,
      openOutput,
      { signal: io.signal, pause },
      log,
    );
    if (!result.complete) log.debug('the state keeps the last delivered window');
    return { ...result, windows: windows.length };
  } finally {
    await lock.release();
  }
}
