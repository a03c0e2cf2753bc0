/**
 * How a `pull --state` run cuts its range into windows, one window at a time. Pure.
 *
 * Fixed (`--window <duration>`): equal windows, the last one cut at the range's end.
 *
 * Adaptive (`--window auto`, the default): the first windows are `initialMs` long, and each next
 * one is sized from how many alerts the last few held, so that a window holds about
 * `targetAlerts` (a few full pages). A backfill over sparse months then goes in few long windows,
 * each a few full pages: few requests, so the API's quota (requests a minute) carries the most
 * alerts it can. A dense range goes in short windows, so the checkpoint still moves often. A
 * window may grow at most fourfold over the one before (an empty month next to a busy day must
 * not become one huge window), never beyond `maxMs`, and shrinks at once where alerts are dense.
 *
 * Sizes never change what is read: every window is read to its proven end, and consecutive windows
 * share their boundary instant (the checkpoint drops what a window already delivered).
 */
import type { Window } from '../time.js';

export interface WindowPlanOptions {
  /** The first windows' length; every window's when not adaptive. */
  initialMs: number;
  adaptive: boolean;
  /** Adaptive: the alerts a window should hold. */
  targetAlerts: number;
  /** Adaptive: the shortest and longest window. */
  minMs: number;
  maxMs: number;
}

/** How many of the last windows read decide the next one's size (alerts are not spread evenly in time). */
const RECENT = 4;
/** The most a window may grow over the previous one. */
const MAX_GROWTH = 4;

export class WindowPlan {
  readonly #options: WindowPlanOptions;
  readonly #untilMs: number;
  #nextMs: number;
  #lastLengthMs: number;
  #planned = 0;
  /** The last windows read: their length and how many alerts they held. */
  readonly #recent: { ms: number; alerts: number }[] = [];

  constructor(since: Date, until: Date, options: WindowPlanOptions) {
    this.#options = options;
    this.#nextMs = since.getTime();
    this.#untilMs = until.getTime();
    this.#lastLengthMs = options.initialMs;
  }

  /** The next window, starting where the previous one ended; undefined once the range is covered. */
  next(): Window | undefined {
    if (this.#nextMs >= this.#untilMs) return undefined;
    const length = this.#length();
    const since = this.#nextMs;
    const until = Math.min(since + length, this.#untilMs);
    this.#nextMs = until;
    this.#lastLengthMs = length;
    this.#planned++;
    return { since: new Date(since), until: new Date(until) };
  }

  /** A window was read to its end and held `alerts` alerts (in any order of windows: they are read in parallel). */
  done(window: Window, alerts: number): void {
    this.#recent.push({ ms: window.until.getTime() - window.since.getTime(), alerts });
    if (this.#recent.length > RECENT) this.#recent.shift();
  }

  /** The windows planned so far and those the rest of the range needs at the current size: for the progress line. */
  estimate(): number {
    const left = Math.max(0, this.#untilMs - this.#nextMs);
    return this.#planned + Math.ceil(left / this.#length());
  }

  #length(): number {
    const { adaptive, initialMs, targetAlerts, minMs, maxMs } = this.#options;
    if (!adaptive || this.#recent.length === 0) return initialMs;
    let ms = 0;
    let alerts = 0;
    for (const r of this.#recent) {
      ms += r.ms;
      alerts += r.alerts;
    }
    const wanted = alerts === 0 ? maxMs : (targetAlerts * ms) / alerts;
    return Math.round(Math.max(minMs, Math.min(wanted, maxMs, this.#lastLengthMs * MAX_GROWTH)));
  }
}
