/**
 * The bookkeeping of one `pull --state` run, pure: which range to read, which alerts are new, and
 * the state to save once they are delivered.
 *
 * - Each run reads from `readUntil − overlap` of the last run, so late arrivals are caught, and
 *   suppresses the keys it already delivered there, so nothing is repeated. An alert whose
 *   LastProcessedTimeUtc changed has a new key: an update, delivered again.
 * - A long range is read in windows (./window-plan.ts cuts them), and the state can advance
 *   window by window.
 */
import type { AlertRecord } from '../api/source.js';
import type { State, StateIdentity } from './format.js';
import { STATE_VERSION } from './format.js';
import { dateOf, normalizeTimestamp, timestampOf } from '../time.js';

export interface Window {
  since: Date;
  until: Date;
}

/** The time part of a key `FullId|LastProcessedTimeUtc`, normalised. */
function keyTime(key: string): string | undefined {
  return normalizeTimestamp(key.slice(key.lastIndexOf('|') + 1));
}

export class Checkpoint {
  readonly #identity: StateIdentity;
  readonly #overlapMs: number;
  /** Keys delivered in the overlap window (from the state) or in this run. */
  readonly #delivered = new Set<string>();
  #readUntil: string | undefined;
  #latestAlert: string | null;
  /** From here on, #delivered holds every delivered key (see State.recentSince). */
  #recentSince: string | undefined;
  /** Alerts older than this are taken as delivered in this run (see startFrom). */
  #learnBefore: string | undefined;
  /** The first run's start: no run needs to read before it. */
  #origin: string | undefined;

  constructor(identity: StateIdentity, previous: State | undefined, overlapMs: number) {
    this.#identity = identity;
    this.#overlapMs = overlapMs;
    this.#readUntil = previous?.readUntil;
    this.#latestAlert = previous?.latestAlert ?? null;
    this.#recentSince = previous?.recentSince;
    this.#origin = previous?.origin;
    for (const key of previous?.recent ?? []) this.#delivered.add(key);
  }

  /**
   * Where this run starts: `readUntil − overlap` of the last run, or `firstSince` on the first.
   * When that is before `recentSince` (the overlap grew), the state cannot tell what was delivered
   * there: alerts older than `recentSince` are then taken as delivered (their keys are learnt, not
   * written), so nothing repeats, and the larger overlap applies fully from the next run. `clamped`
   * says this happened.
   */
  startFrom(firstSince: Date): { since: Date; clamped: boolean } {
    if (this.#readUntil === undefined || this.#recentSince === undefined) {
      this.#recentSince ??= timestampOf(firstSince);
      this.#origin ??= timestampOf(firstSince);
      return { since: firstSince, clamped: false };
    }
    let wanted = timestampOf(new Date(dateOf(this.#readUntil).getTime() - this.#overlapMs));
    // Nothing before the first run's --since was ever in scope: an overlap reaching further back
    // (a first run with --since 5m and the 10m default) has nothing to catch there.
    if (this.#origin !== undefined && wanted < this.#origin) wanted = this.#origin;
    if (wanted >= this.#recentSince) return { since: dateOf(wanted), clamped: false };
    this.#learnBefore = this.#recentSince;
    this.#recentSince = wanted;
    return { since: dateOf(wanted), clamped: true };
  }

  /** Whether `alert` is new (not delivered before); if so it counts as delivered from now on. */
  admit(alert: AlertRecord): boolean {
    if (this.#delivered.has(alert.key)) return false;
    this.#delivered.add(alert.key);
    const time = normalizeTimestamp(alert.updatedAt);
    if (this.#learnBefore !== undefined && time !== undefined && time < this.#learnBefore) return false;
    if (time !== undefined && (this.#latestAlert === null || time > this.#latestAlert)) this.#latestAlert = time;
    return true;
  }

  /**
   * Records that everything up to `until` has been read (and, once saved, delivered), and forgets
   * keys older than `until − overlap`: no later window or run asks for them again, so memory stays
   * bounded by the alerts of one window plus the overlap.
   */
  readTo(until: Date): void {
    const t = timestampOf(until);
    if (this.#readUntil === undefined || t > this.#readUntil) this.#readUntil = t;
    const keepFrom = timestampOf(new Date(dateOf(this.#readUntil).getTime() - this.#overlapMs));
    if (this.#recentSince === undefined || keepFrom > this.#recentSince) this.#recentSince = keepFrom;
    for (const key of this.#delivered) {
      const time = keyTime(key);
      // A key whose time cannot be read is kept: forgetting it could repeat an alert.
      if (time !== undefined && time < keepFrom) this.#delivered.delete(key);
    }
  }

  /** The state to save now (after at least one {@link readTo}). */
  state(now: Date): State {
    const readUntil = this.#readUntil;
    if (readUntil === undefined) throw new Error('Checkpoint.state() before any window was read');
    return {
      version: STATE_VERSION,
      ...this.#identity,
      readUntil,
      latestAlert: this.#latestAlert,
      recentSince: this.#recentSince ?? readUntil,
      ...(this.#origin === undefined ? {} : { origin: this.#origin }),
      recent: [...this.#delivered],
      updatedAt: now.toISOString(),
    };
  }
}
