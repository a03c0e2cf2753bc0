/**
 * The bookkeeping of one `pull --state` run, pure: which range to read, which alerts are new, and
 * the state to save once they are delivered.
 *
 * - Each run reads from `readUntil − overlap` of the last run, so late arrivals are caught, and
 *   suppresses the keys it already delivered there, so nothing is repeated. An alert whose
 *   LastProcessedTimeUtc changed has a new key: an update, delivered again.
 * - A long range is read in windows (delivery/window-plan.ts cuts them), and the state can advance
 *   window by window.
 */
import type { AlertRecord } from '../api/source.js';
import { CHECKPOINT_VERSION, hasCheckpoint, type State, type StateFile, type StateIdentity } from './format.js';
import { dateOf, normalizeTimestamp, timestampOf, type Window } from '../time.js';

/** The time part of a key `FullId|LastProcessedTimeUtc`, normalised. */
function keyTime(key: string): string | undefined {
  return normalizeTimestamp(key.slice(key.lastIndexOf('|') + 1));
}

export class Checkpoint {
  readonly #identity: StateIdentity;
  readonly #overlapMs: number;
  /** Keys delivered in the overlap window (from the state) or in this run. */
  readonly #delivered = new Set<string>();
  /**
   * The keys of #delivered whose time cannot be read (an MDE `alertCreationTime` that is not a UTC
   * timestamp), with the end of the window they were read in: that dates them instead, so they
   * leave with the overlap like every other key (undefined: read in the window being read now).
   */
  readonly #undated = new Map<string, string | undefined>();
  #readUntil: string | undefined;
  #latestAlert: string | null;
  /** From here on, #delivered holds every delivered key (see State.recentSince). */
  #recentSince: string | undefined;
  /** Alerts older than this are taken as delivered in this run (see startFrom). */
  #learnBefore: string | undefined;
  /** The first run's start: no run needs to read before it. */
  #origin: string | undefined;

  /** `previous`: the state on disk; one without a checkpoint (nothing delivered yet) starts as a first run. */
  constructor(identity: StateIdentity, previous: StateFile | undefined, overlapMs: number) {
    this.#identity = identity;
    this.#overlapMs = overlapMs;
    const last = previous !== undefined && hasCheckpoint(previous) ? previous : undefined;
    this.#readUntil = last?.readUntil;
    this.#latestAlert = last?.latestAlert ?? null;
    this.#recentSince = last?.recentSince;
    this.#origin = last?.origin;
    for (const key of last?.recent ?? []) {
      this.#delivered.add(key);
      // The state does not say which window it was read in: the checkpoint's end is the latest.
      if (keyTime(key) === undefined) this.#undated.set(key, last?.readUntil);
    }
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
    if (keyTime(alert.key) === undefined) this.#undated.set(alert.key, undefined);
    const time = normalizeTimestamp(alert.updatedAt);
    if (this.#learnBefore !== undefined && time !== undefined && time < this.#learnBefore) return false;
    if (time !== undefined && (this.#latestAlert === null || time > this.#latestAlert)) this.#latestAlert = time;
    return true;
  }

  /**
   * Records that everything up to the window's `until` has been read (and, once saved, delivered),
   * and forgets keys older than `until − overlap`: no later window or run asks for them again, so
   * memory stays bounded by the alerts of one window plus the overlap.
   */
  readTo({ until }: Pick<Window, 'until'>): void {
    const t = timestampOf(until);
    if (this.#readUntil === undefined || t > this.#readUntil) this.#readUntil = t;
    const keepFrom = timestampOf(new Date(dateOf(this.#readUntil).getTime() - this.#overlapMs));
    if (this.#recentSince === undefined || keepFrom > this.#recentSince) this.#recentSince = keepFrom;
    for (const [key, readBy] of this.#undated) if (readBy === undefined) this.#undated.set(key, t);
    for (const key of this.#delivered) {
      // The server returned an undated key for a window that ended at readBy: no later window
      // reaches back before keepFrom, so once readBy is older it cannot come back either.
      const time = keyTime(key) ?? this.#undated.get(key);
      if (time !== undefined && time < keepFrom) {
        this.#delivered.delete(key);
        this.#undated.delete(key);
      }
    }
  }

  /** The state to save now (after at least one {@link readTo}). */
  state(now: Date): State {
    const readUntil = this.#readUntil;
    if (readUntil === undefined) throw new Error('Checkpoint.state() before any window was read');
    return {
      version: CHECKPOINT_VERSION,
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
