/**
 * The progress line of a long pull run by hand: on a terminal only (never on a pipe, in a log file
 * or under `--follow`), one line on stderr, redrawn in place at most four times a second, showing
 * windows done of all, alerts so far, their rate, and a throttle wait while one lasts; cleared
 * when the run ends. It appears only once a run has lasted a second, so short runs never show it.
 * A few lines of ANSI (carriage return, erase line) rather than a dependency.
 */

export interface Progress {
  plan(windows: number): void;
  alert(): void;
  windowDone(): void;
  /** The run waits out a throttled answer for `ms`. */
  waiting(ms: number): void;
  /** Removes the line (the run ended, or a log line is about to be written). */
  clear(): void;
}

export interface Terminal {
  write(text: string): unknown;
  columns?: number | undefined;
}

const ERASE_LINE = '\r\x1b[K';
const REDRAW_MS = 250;
const SHOW_AFTER_MS = 1000;

/** The line's text (pure): `windows 3/720 · 12 345 alerts · 2 100/s · waiting 30s (throttled)`. */
export function progressText(p: { windows: number; done: number; alerts: number; elapsedMs: number; waitLeftMs: number }): string {
  const rate = p.elapsedMs > 0 ? Math.round((p.alerts * 1000) / p.elapsedMs) : 0;
  const parts = [`windows ${p.done}/${p.windows}`, `${p.alerts.toLocaleString('en-US')} alerts`, `${rate.toLocaleString('en-US')}/s`];
  if (p.waitLeftMs > 0) parts.push(`waiting ${Math.ceil(p.waitLeftMs / 1000)}s (throttled)`);
  return parts.join(' · ');
}

/** A progress line on `terminal`; `now` in ms. */
export function createProgress(terminal: Terminal, now: () => number = Date.now): Progress {
  const started = now();
  let windows = 0;
  let done = 0;
  let alerts = 0;
  let waitUntil = 0;
  let shown = false;
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    const at = now();
    if (at - started < SHOW_AFTER_MS) return;
    const text = progressText({ windows, done, alerts, elapsedMs: at - started, waitLeftMs: Math.max(0, waitUntil - at) });
    // A terminal whose size is unknown (0) is taken as 80 columns wide.
    const columns = terminal.columns !== undefined && terminal.columns > 0 ? terminal.columns : 80;
    const width = Math.max(20, columns - 1);
    terminal.write(`${ERASE_LINE}${text.slice(0, width)}`);
    shown = true;
  };
  const start = (): void => {
    if (timer !== undefined) return;
    timer = setInterval(draw, REDRAW_MS);
    // Never what keeps the process alive.
    timer.unref();
  };
  return {
    plan(n) {
      windows = n;
      start();
    },
    alert() {
      alerts++;
    },
    windowDone() {
      done++;
    },
    waiting(ms) {
      waitUntil = now() + ms;
    },
    clear() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (shown) terminal.write(ERASE_LINE);
      shown = false;
    },
  };
}
