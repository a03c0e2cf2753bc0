/**
 * The one delivery loop: read a source in windows, write each new alert to the sink, and after a
 * window (or at the end) tell the checkpoint what was delivered. A plain `pull` is one window with a
 * pass-through checkpoint; `pull --state` plans the windows and saves its state (state-session.ts).
 * `--follow` (each cycle) and `--tenants` (each tenant) drive this same loop through run-once.ts.
 */
import type { AlertQuery, AlertRecord, AlertSource } from '../api/source.js';
import { OutputClosedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Progress } from '../output/progress.js';
import type { WindowStream } from './windows.js';
import type { AlertSink } from '../output/sink.js';
import { NO_PAUSE, type Pause } from '../state/pause.js';

/** What the loop tells about delivery: a plain pull's pass-through, or a state's Checkpoint. */
export interface DeliveryCheckpoint<W> {
  /** Whether an alert is new (to be written); false skips it. */
  admit(alert: AlertRecord): boolean;
  /** Everything of this window has been read (and, once committed, delivered). */
  readTo(window: W): void;
}

/** A plain pull: every alert is new, nothing is remembered. */
export const PASS_THROUGH: DeliveryCheckpoint<unknown> = { admit: () => true, readTo: () => {} };

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
  pause?: Pause | undefined;
}

/** One delivery: what is read, in which windows, what is new, where it goes and what is saved. */
export interface Delivery<W> {
  source: AlertSource;
  windows: WindowStream<W>;
  /** The query that reads `window` from the source. */
  query: (window: W) => AlertQuery;
  checkpoint: DeliveryCheckpoint<W>;
  /**
   * Saves what was delivered (`written`: alerts written so far); absent when nothing is saved (a
   * plain pull). Called after each window when the sink's flush is durable, else once after the
   * output is complete.
   */
  commit?: ((written: number) => Promise<void>) | undefined;
  openOutput: OpenOutput;
}

/**
 * Copies every admitted alert of `source` over `windows` to the sink `openOutput` gives. On Ctrl-C
 * the output is still ended cleanly (a JSON array closed); on any other failure it is abandoned
 * (a replaced file never appears, an appended one is cut back to its last commit).
 */
export async function deliver<W>(delivery: Delivery<W>, io: DeliveryIo, log: Logger): Promise<Delivered> {
  const { source, windows, query, checkpoint, commit } = delivery;
  const pause = io.pause ?? NO_PAUSE;
  const sink = await delivery.openOutput();
  // Stdout and an appended file have delivered what was flushed, so the state may move window by
  // window; a replaced file exists only once renamed at the end, so the state waits for it.
  const perWindow = sink.durableOnFlush;
  const progress = io.progress;
  progress?.plan(windows.estimate());
  let windowsRead = 0;
  await pause('before-output');
  try {
    const fetch = (window: W, signal: AbortSignal) => source.fetch(query(window), signal);
    for await (const { window, records, read } of windows.turns(fetch, io.signal)) {
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
      if (commit && perWindow) {
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
  if (commit && !perWindow && windowsRead > 0) {
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
