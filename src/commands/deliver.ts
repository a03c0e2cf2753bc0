/**
 * The one delivery loop: read a source in windows, write each new alert to the sink, and after a
 * window (or at the end) tell the checkpoint what was delivered. A plain `pull` is one window with a
 * pass-through checkpoint; `pull --state` plans the windows and saves its state (pull-state.ts).
 * `--follow` (each cycle) and `--tenants` (each tenant) drive this same loop.
 */
import type { AlertQuery, AlertRecord, AlertSource } from '../api/source.js';
import { OutputClosedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Progress } from '../output/progress.js';
import { windowsInOrder, type Windows } from './window-prefetch.js';
import type { AlertSink } from '../output/sink.js';
import { NO_PAUSE, type Pause } from '../state/pause.js';

/** What the loop tells about delivery, and when it may commit. */
export interface DeliveryCheckpoint {
  /** Whether an alert is new (to be written); false skips it. */
  admit(alert: AlertRecord): boolean;
  /** Everything of this window has been read (and, once committed, delivered). */
  readTo(window: AlertQuery): void;
  /**
   * Saves what was delivered (`written`: alerts written so far), or undefined when nothing is saved
   * (a plain pull). Called after each window when `perWindow`, else once after the output is complete.
   */
  commit: ((written: number) => Promise<void>) | undefined;
  /**
   * Whether the output has delivered what was flushed, so the checkpoint may move window by window
   * (stdout, an appended file); a replaced `--output` file exists only once renamed at the end.
   */
  perWindow: boolean;
}

/** A plain pull: every alert is new, nothing is saved. */
export const PASS_THROUGH: DeliveryCheckpoint = { admit: () => true, readTo: () => {}, commit: undefined, perWindow: false };

export interface Delivered {
  written: number;
  /** Windows read to their end (a stopped run: those before it stopped). */
  windows: number;
  /** False when the reader closed the output early (`| head`): the rest is for the next run. */
  complete: boolean;
}

/**
 * Opens where this delivery writes: its own sink (stdout, a file), or its view of an output many
 * tenants share (output/shared-output.ts).
 */
export type OpenOutput = () => Promise<AlertSink>;

export interface DeliveryIo {
  signal: AbortSignal;
  /** The progress line of a run by hand on a terminal (output/progress.ts). */
  progress?: Progress | undefined;
  /** How many windows may be read at once (`--parallel`; window-prefetch.ts); 1 when absent. */
  parallel?: number | undefined;
  /** Where parallel windows are spooled (beside the state file). */
  spoolAt?: { dir: string; name: string } | undefined;
  pause?: Pause | undefined;
}

/**
 * Copies every admitted alert of `source` over `windows` to the sink `openOutput` gives. On Ctrl-C
 * the output is still ended cleanly (a JSON array closed); on any other failure it is abandoned
 * (a replaced file never appears, an appended one is cut back to its last commit).
 */
export async function deliver(
  source: AlertSource,
  windows: Windows,
  checkpoint: DeliveryCheckpoint,
  openOutput: OpenOutput,
  io: DeliveryIo,
  log: Logger,
): Promise<Delivered> {
  const pause = io.pause ?? NO_PAUSE;
  const commit = checkpoint.commit;
  const sink = await openOutput();
  const progress = io.progress;
  progress?.plan(windows.estimate());
  let windowsRead = 0;
  await pause('before-output');
  try {
    const fetch = (window: AlertQuery, signal: AbortSignal) => source.fetch(window, signal);
    for await (const { window, records, read } of windowsInOrder(windows, io.parallel ?? 1, fetch, io.signal, io.spoolAt)) {
      let fetched = 0;
      for await (const alert of records) {
        fetched++;
        if (!checkpoint.admit(alert)) continue;
        progress?.alert();
        // Only a backpressured (or failed) destination makes write() return a promise.
        const pending = sink.write(alert.raw);
        if (pending !== undefined) await pending;
        if (sink.count === 1) await pause('mid-output');
      }
      // What the window held sizes the next ones (--window auto).
      read?.(fetched);
      checkpoint.readTo(window);
      windowsRead++;
      progress?.windowDone();
      progress?.plan(windows.estimate());
      if (commit && checkpoint.perWindow) {
        await sink.flush();
        await pause('after-flush');
        await commit(sink.count);
      }
    }
    progress?.clear();
    await sink.close();
  } catch (err) {
    progress?.clear();
    await (io.signal.aborted ? sink.finish() : sink.abort()).catch((problem: unknown) => warnAbandoned(problem, log));
    if (err instanceof OutputClosedError) {
      log.debug('the reader closed the output; stopping');
      return { written: sink.count, complete: false, windows: windowsRead };
    }
    throw err;
  }
  if (commit && !checkpoint.perWindow && windowsRead > 0) {
    await pause('after-flush');
    await commit(sink.count);
  }
  return { written: sink.count, complete: true, windows: windowsRead };
}

/** What an output left behind when it was given up (see AlertSink.abort); the run's own error stays the one reported. */
export function warnAbandoned(problem: unknown, log: Logger): void {
  log.warn(
    { err: problem instanceof Error ? problem.message : String(problem) },
    'the output could not be put back as it was before this run',
  );
}
