/**
 * `pull --state`: the scheduled export. Reads from where the last run stopped (minus an overlap for
 * late alerts), in windows, delivers only alerts not delivered before, and moves the checkpoint
 * only after what it covers was written and flushed (deliver.ts). One run at a time per state file.
 *
 * Delivery: exactly once while runs succeed; at least once across a crash (a run killed between
 * writing and saving the state is repeated by the next run).
 *
 * The state also records how each run ended and what all runs added up to (state/run-record.ts),
 * for `status` and the metrics file. A run that fails writes only that record, beside the
 * checkpoint its last committed window left: the checkpoint never moves past unread data. A run
 * that fails before any window was ever delivered (a tenant that never consented) writes the record
 * alone, as a state without a checkpoint (state/format.ts, version 3): the next run starts from
 * --since as the first would, and replaces it.
 */
import { basename, dirname } from 'node:path';
import type { AlertSource } from '../api/source.js';
import type { PullConfig, StateConfig } from '../config/resolve.js';
import { outcomeOf } from '../errors.js';
import { NO_REQUESTS, tallySince, type RequestStats } from '../http/request-stats.js';
import type { Logger } from '../log.js';
import { redactSecrets } from '../secrets.js';
import { Checkpoint } from '../state/checkpoint.js';
import { readState, writeState } from '../state/file.js';
import { hasCheckpoint, type RunRecord, type State, type StateFile } from '../state/format.js';
import { acquireLock } from '../state/lock.js';
import { NO_PAUSE } from '../state/pause.js';
import { failedBeforeDelivery, withRunHistory, type RunDelta } from '../state/run-record.js';
import { parseIsoDuration, type Window } from '../time.js';
import type { Progress } from '../output/progress.js';
import type { CommandIo } from '../context/command-context.js';
import { deliver, type Delivered, type OpenOutput } from './deliver.js';
import type { LockHolder } from './lock-holder.js';
import { spooled } from './spooled-windows.js';
import { WindowPlan } from './window-plan.js';

/** The SIEM API's own default window when no start is given: the last two hours (docs/microsoft-apis.md §1). */
const API_DEFAULT_WINDOW_MS = 2 * 3_600_000;

/** Where a first run starts: --since, --ago, or the API's default of two hours. */
export function firstRunSince(config: PullConfig, now: Date): Date {
  if (config.query.since) return config.query.since;
  const back = config.query.ago !== undefined ? parseIsoDuration(config.query.ago) : API_DEFAULT_WINDOW_MS;
  return new Date(now.getTime() - back);
}

/** What the state's run history is made from, besides the delivery itself. */
export interface RunTally {
  /** The run's request counters (its retry policy's). */
  requests?: RequestStats | undefined;
  /** Alerts that failed validation so far. */
  invalid?: (() => number) | undefined;
  locks?: LockHolder | undefined;
}

/** One line for the state file: the failure's code and message, no secret, not a page long. */
function describeFailure(err: unknown): Pick<RunRecord, 'exitCode' | 'error'> {
  const outcome = outcomeOf(err);
  const text = outcome.stack === undefined ? `${outcome.code}: ${outcome.message}` : outcome.message;
  return { exitCode: outcome.exitCode, error: redactSecrets(text).replace(/\s+/g, ' ').slice(0, 500) };
}

/** What a run with a state delivers: the configuration's alerts from its source, into its output. */
export interface StateSession {
  config: PullConfig;
  state: StateConfig;
  source: AlertSource;
  openOutput: OpenOutput;
  tally?: RunTally | undefined;
}

/**
 * The state session of one run: takes the state's lock (or uses the one a service holds), reads
 * the state, delivers from its checkpoint window by window, commits each, and records how the run
 * ended.
 */
export async function deliverWithState(
  session: StateSession,
  io: Pick<CommandIo, 'signal' | 'now' | 'pause'> & { progress?: Progress | undefined },
  log: Logger,
): Promise<Delivered> {
  const { config, state: stateConfig, source, openOutput, tally = {} } = session;
  const pause = io.pause ?? NO_PAUSE;
  const held = tally.locks !== undefined;
  const lock = held ? await tally.locks?.lock(stateConfig.path, log) : await acquireLock(stateConfig.path, log);
  const startedAt = io.now();
  const before = tally.requests?.snapshot() ?? NO_REQUESTS;
  const delta = (alerts: number): RunDelta => ({
    ...tallySince(before, tally.requests?.snapshot() ?? NO_REQUESTS),
    alerts,
    invalid: tally.invalid?.() ?? 0,
  });
  const record = (outcome: RunRecord['outcome'], alerts: number, failure?: unknown): RunRecord => {
    const finishedAt = io.now();
    return {
      outcome,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
      alerts,
      ...(failure === undefined ? {} : describeFailure(failure)),
    };
  };
  const identity = { api: source.api, tenant: config.tenant, endpoint: config.baseUrl.href };
  // What the file held when the run began; null until it was read: a file that cannot be read
  // (corrupt, another tenant's) is left untouched, even by a failure's record.
  let previous: StateFile | undefined | null = null;
  // The last checkpoint on disk and the alerts it accounts for: what a failure's record is written beside.
  let committed: State | undefined;
  let committedAlerts = 0;
  try {
    previous = await readState(stateConfig.path, identity);
    const last = previous && hasCheckpoint(previous) ? previous : undefined;
    committed = last;
    const now = io.now();
    if (last && (config.query.since || config.query.ago !== undefined)) {
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
    const plan = new WindowPlan(since, until, {
      initialMs: stateConfig.windowMs,
      adaptive: stateConfig.adaptiveWindows,
      targetAlerts: windowTarget(config),
      minMs: 60_000,
      maxMs: 86_400_000,
    });
    if (last && since >= until && config.query.until === undefined) {
      // The checkpoint is ahead of this machine's clock: nothing can be read until the clock
      // passes it. Said loudly, because alerts of the gap arrive only as late as the overlap allows.
      log.warn(
        { state: stateConfig.path, readUntil: last.readUntil, now: now.toISOString() },
        "the state file's readUntil is later than this machine's clock (did the clock go back?): nothing read this run",
      );
    }
    log.info(
      { state: stateConfig.path, since: since.toISOString(), until: until.toISOString(), windows: plan.estimate(), firstRun: !last },
      'reading alerts since the checkpoint',
    );
    const { ago: _ago, ...query } = config.query;
    const base = previous;
    const commit = async (written: number): Promise<void> => {
      const state = withRunHistory(checkpoint.state(io.now()), base, delta(written));
      await writeState(stateConfig.path, state, pause);
      committed = state;
      committedAlerts = written;
      await pause('after-commit');
    };
    const spoolAt = { dir: dirname(stateConfig.path), name: basename(stateConfig.path) };
    const result = await deliver(
      {
        source,
        windows: spooled(plan, stateConfig.parallel, spoolAt),
        query: (window: Window) => ({ ...query, since: window.since, until: window.until }),
        checkpoint,
        commit,
        openOutput,
      },
      { signal: io.signal, pause, progress: io.progress },
      log,
    );
    // The run's record, beside what it committed (not behind a pause point: those mark delivery).
    // A run stopped early (the reader went away, Ctrl-C) records nothing: it neither failed nor ended.
    if (!result.complete) log.debug('the state keeps the last delivered window');
    else if (committed !== undefined) {
      await writeState(stateConfig.path, withRunHistory(committed, base, delta(committedAlerts), record('ok', committedAlerts)));
    }
    return result;
  } catch (err) {
    if (previous !== null && !io.signal.aborted) {
      const ending = record('failed', committedAlerts, err);
      const history = previous && !hasCheckpoint(previous) ? previous : undefined;
      const failed =
        committed === undefined
          ? failedBeforeDelivery(identity, history, delta(0), ending, io.now())
          : withRunHistory(committed, previous, delta(committedAlerts), ending);
      try {
        await writeState(stateConfig.path, failed);
      } catch (writeErr) {
        log.warn({ state: stateConfig.path, err: String(writeErr) }, 'could not record the failed run in the state file');
      }
    }
    throw err;
  } finally {
    if (!held) await lock?.release();
  }
}

/**
 * About how many alerts an adaptive window should hold: four full pages of an OData API, so that
 * nearly every request carries a full page (the quota counts requests); for the SIEM API, whose
 * window is one answer of any size, 10 000, which keeps what a failed window reads again small.
 */
function windowTarget(config: PullConfig): number {
  if (config.api === 'mde') return 4 * config.mde.pageSize;
  if (config.api === 'graph') return 4 * config.graph.pageSize;
  return 10_000;
}
