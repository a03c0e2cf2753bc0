/**
 * The windows a delivery reads, and the stream that hands them to the loop in order. A plain pull
 * is one fixed window; a `pull --state` run is its window plan (window-plan.ts), read one at a
 * time ({@link inTurn}) or, with `--parallel`, several ahead into spool files
 * (spooled-windows.ts) — the loop sees the same stream either way.
 */
import type { AlertRecord } from '../api/source.js';

/**
 * The windows of a delivery, decided one at a time (window-plan.ts sizes each by what the earlier
 * ones held), and told what each held once it was read.
 */
export interface Windows<W> {
  next(): W | undefined;
  /** `window` was read to its end: `alerts` records came from the source. */
  done(window: W, alerts: number): void;
  /** How many windows in all, as far as known now (for the progress line). */
  estimate(): number;
}

/** Windows known in advance (a plain pull's single range, tests). */
export function fixedWindows<W>(windows: readonly W[]): Windows<W> {
  let next = 0;
  return { next: () => windows[next++], done: () => {}, estimate: () => windows.length };
}

/** Reads one window from the source. */
export type FetchWindow<W> = (window: W, signal: AbortSignal) => AsyncIterable<AlertRecord>;

/**
 * One window in its turn. `read`, on a window read live, is for the consumer to call with how many
 * records it read once it has read them all: counting there costs nothing, where wrapping every
 * record in a counting generator would cost a resumption per alert. A spooled window has none: it
 * was counted (and the plan told) as soon as its spool was complete.
 */
export interface WindowInTurn<W> {
  window: W;
  records: AsyncIterable<AlertRecord>;
  read?: (records: number) => void;
}

/** The windows of a delivery in order, each with its records, however they are read. */
export interface WindowStream<W> {
  /**
   * Every window in order. A window that failed throws when its turn comes (the ones before it
   * were handed on). Leaving the loop early (an error, Ctrl-C) stops every read.
   */
  turns(fetch: FetchWindow<W>, signal: AbortSignal): AsyncIterable<WindowInTurn<W>>;
  /** How many windows in all, as far as known now. */
  estimate(): number;
}

/** The windows read one at a time, each streaming straight from the source. */
export function inTurn<W>(windows: Windows<W>): WindowStream<W> {
  return {
    // Nothing to wait for here: each window's records are the source's own stream.
    // eslint-disable-next-line @typescript-eslint/require-await
    async *turns(fetch, signal) {
      for (let window = windows.next(); window !== undefined; window = windows.next()) {
        const w = window;
        yield { window: w, records: fetch(w, signal), read: (n) => windows.done(w, n) };
      }
    },
    estimate: () => windows.estimate(),
  };
}
