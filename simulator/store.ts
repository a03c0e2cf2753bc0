/**
 * The simulator's alert store and the SIEM API's documented query semantics
 * (docs/microsoft-apis.md):
 *
 * - alerts are selected by `LastProcessedTimeUtc`, both bounds inclusive;
 * - `sinceTimeUtc` defaults to two hours before now, `untilTimeUtc` to now;
 * - `ago` (ISO-8601 duration, `PT10M`) is a lower bound relative to now;
 * - `limit` keeps the MOST RECENT n alerts of the range;
 * - the answer is ordered ascending by `LastProcessedTimeUtc`.
 *
 * Records are kept as (ticks, reference) pairs sorted by ticks; generated alerts are rebuilt
 * from their reference while the answer streams, so the store stays small at a million alerts.
 * New alerts "arrive" at `ratePerMinute`, computed lazily from the clock on each call.
 */
import { AlertGenerator, rebaseExample } from './alerts.js';
import type { SiemAlert } from './alert-types.js';
import { ALERT_JSON_TEXTS, type SerialisableAlerts } from './alert-stream.js';
import { MSDOCS_EXAMPLE_2017, MSDOCS_EXAMPLE_2020 } from './msdocs-examples.js';
import { TICKS_PER_HOUR, TICKS_PER_MINUTE, formatTicks, parseDuration, parseTimestamp, ticksFromDate, type Ticks } from './ticks.js';

/** The window the API answers when no lower bound is given. */
const DEFAULT_LOOKBACK_TICKS = 2n * TICKS_PER_HOUR;
/** Parts per group in a packed generated reference (group * 8 + part). */
const PARTS_RADIX = 8;

export interface AlertStoreOptions {
  /** Clock reading at creation: the initial alerts end here. */
  now: Date;
  /** Seed of the generator (default 1). */
  seed?: number;
  /** Number of initial records (default 50). */
  initial?: number;
  /** The initial records are spread over this many hours before `now` (default 3). */
  windowHours?: number;
  /** New alerts (AlertIds) arriving per minute after `now` (default 0). */
  ratePerMinute?: number;
  /** Serve Microsoft's two published example alerts among the initial records (default true). */
  includeExamples?: boolean;
}

/** Query parameters as the API receives them (strings, unparsed). */
export interface AlertQuery {
  sinceTimeUtc?: string | undefined;
  untilTimeUtc?: string | undefined;
  ago?: string | undefined;
  limit?: string | number | undefined;
  machinegroups?: readonly string[] | undefined;
  /** `DeviceCreatedMachineTags` */
  deviceTag?: string | undefined;
  /** `CloudCreatedMachineTags` */
  cloudTag?: string | undefined;
}

export interface AlertQueryResult {
  /** The bounds actually applied, in the API's 7-digit form. */
  sinceTimeUtc: string;
  untilTimeUtc: string;
  /** Number of alerts, when known without generating them (no filters). */
  count: number | undefined;
  /** The alerts, ascending by LastProcessedTimeUtc, generated as they are consumed. */
  alerts: Iterable<SiemAlert>;
}

/** A query parameter the API would refuse (answered 400). */
export class InvalidQueryError extends Error {
  override readonly name = 'InvalidQueryError';
}

type Ref = number | SiemAlert;

export class AlertStore {
  readonly #generator: AlertGenerator;
  readonly #ticks: Ticks[] = [];
  readonly #refs: Ref[] = [];
  readonly #intervalTicks: Ticks | undefined;
  #nextArrival: Ticks;
  #nextGroup = 0;

  constructor(opts: AlertStoreOptions) {
    const initial = opts.initial ?? 50;
    const rate = opts.ratePerMinute ?? 0;
    if (!Number.isInteger(initial) || initial < 0) throw new RangeError('initial must be a whole number >= 0');
    if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError('ratePerMinute must be >= 0');
    this.#generator = new AlertGenerator(opts.seed ?? 1);
    const end = ticksFromDate(opts.now);
    const windowTicks = BigInt(Math.round((opts.windowHours ?? 3) * 3_600_000)) * 10_000n;
    const start = end - windowTicks;

    const examples = (opts.includeExamples ?? true) && initial >= 2 ? [MSDOCS_EXAMPLE_2017, MSDOCS_EXAMPLE_2020] : [];
    this.#layOut(initial - examples.length, start, windowTicks);
    // Place the examples half and three quarters into the window, among the generated alerts
    // (and inside the API's default two-hour look-back when the window is the default 3 h).
    this.add(examples.map((example, i) => rebaseExample(example, start + (windowTicks * BigInt(i + 2)) / 4n)));

    this.#intervalTicks = rate > 0 ? BigInt(Math.max(1, Math.round(Number(TICKS_PER_MINUTE) / rate))) : undefined;
    this.#nextArrival = end + (this.#intervalTicks ?? 0n);
  }

  /** Number of records at `now` (arrivals up to `now` included). */
  size(now: Date): number {
    this.#arrive(ticksFromDate(now));
    return this.#ticks.length;
  }

  /**
   * Answers a query the way `GET /api/alerts` does. Throws {@link InvalidQueryError} for a
   * parameter the API would refuse.
   */
  query(q: AlertQuery, now: Date): AlertQueryResult {
    const nowTicks = ticksFromDate(now);
    this.#arrive(nowTicks);
    const { since, until, limit } = parseBounds(q, nowTicks);
    const groups = new Set((q.machinegroups ?? []).map((g) => g.toLowerCase()));
    const filtered = groups.size > 0 || q.deviceTag !== undefined || q.cloudTag !== undefined;
    const matches = (a: SiemAlert): boolean =>
      (groups.size === 0 || groups.has(String(a.MachineGroup ?? '').toLowerCase())) &&
      (q.deviceTag === undefined || hasTag(a.DeviceCreatedMachineTags, q.deviceTag)) &&
      (q.cloudTag === undefined || hasTag(a.CloudCreatedMachineTags, q.cloudTag));

    let lo = lowerBound(this.#ticks, since);
    const hi = since > until ? lo : upperBound(this.#ticks, until);
    if (!filtered && limit !== undefined) lo = Math.max(lo, hi - limit);
    // A snapshot of the range, so alerts added or updated while the answer streams cannot
    // shift it under the reader.
    const ticks = this.#ticks.slice(lo, hi);
    const refs = this.#refs.slice(lo, hi);
    const at = (i: number): SiemAlert => this.#materialise(refs[i] as Ref, ticks[i] as Ticks);

    let alerts: Iterable<SiemAlert>;
    if (!filtered) {
      const json = (i: number): string => {
        const ref = refs[i] as Ref;
        return typeof ref === 'number'
          ? this.#generator.generateJson(Math.floor(ref / PARTS_RADIX), ref % PARTS_RADIX, ticks[i] as Ticks)
          : JSON.stringify(ref);
      };
      // Iterated either as objects or, by the answer writer, as ready JSON texts (much cheaper).
      const serialisable: SerialisableAlerts = {
        *[Symbol.iterator]() {
          for (let i = 0; i < ticks.length; i++) yield at(i);
        },
        *[ALERT_JSON_TEXTS]() {
          for (let i = 0; i < ticks.length; i++) yield json(i);
        },
      };
      alerts = serialisable;
    } else if (limit !== undefined) {
      // The most recent `limit` matches: walk back from the end, then serve them ascending.
      const picked: SiemAlert[] = [];
      for (let i = ticks.length - 1; i >= 0 && picked.length < limit; i--) {
        const alert = at(i);
        if (matches(alert)) picked.push(alert);
      }
      alerts = picked.reverse();
    } else {
      alerts = (function* () {
        for (let i = 0; i < ticks.length; i++) {
          const alert = at(i);
          if (matches(alert)) yield alert;
        }
      })();
    }
    return {
      sinceTimeUtc: formatTicks(since),
      untilTimeUtc: formatTicks(until),
      count: filtered ? (Array.isArray(alerts) ? alerts.length : undefined) : ticks.length,
      alerts,
    };
  }

  /**
   * Adds alerts as they are (for tests: any shape, any drift). Each needs a parseable
   * `LastProcessedTimeUtc`; alerts with equal times keep insertion order.
   */
  add(alerts: readonly SiemAlert[]): void {
    for (const alert of alerts) {
      const text = alert.LastProcessedTimeUtc;
      const ticks = typeof text === 'string' ? parseTimestamp(text) : undefined;
      if (ticks === undefined) {
        throw new TypeError(`add(): LastProcessedTimeUtc ${JSON.stringify(text)} is not a timestamp`);
      }
      this.#insert(ticks, { ...alert });
    }
  }

  /**
   * Re-processes every detection of `alertId` at the instant `at`: they move to the new
   * `LastProcessedTimeUtc` (everything else unchanged), as an alert does when Defender updates
   * it. Returns how many records moved.
   */
  update(alertId: string, at: Date): number {
    const atTicks = ticksFromDate(at);
    this.#arrive(atTicks);
    const moved: SiemAlert[] = [];
    for (let i = this.#ticks.length - 1; i >= 0; i--) {
      const ref = this.#refs[i] as Ref;
      const ticks = this.#ticks[i] as Ticks;
      const id = typeof ref === 'number' ? this.#generator.alertId(Math.floor(ref / PARTS_RADIX), ticks) : ref.AlertId;
      if (id !== alertId) continue;
      moved.unshift(this.#materialise(ref, ticks));
      this.#ticks.splice(i, 1);
      this.#refs.splice(i, 1);
    }
    for (const alert of moved) this.#insert(atTicks, { ...alert, LastProcessedTimeUtc: formatTicks(atTicks) });
    return moved.length;
  }

  /**
   * A bulk change in the portal (resolving many alerts at once): the `count` oldest alerts
   * (AlertIds) all move to the one instant `at`. Returns how many alerts moved.
   */
  bulkUpdate(count: number, at: Date): number {
    const ids: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < this.#ticks.length && ids.length < count; i++) {
      const ref = this.#refs[i] as Ref;
      const id = typeof ref === 'number' ? this.#generator.alertId(Math.floor(ref / PARTS_RADIX), this.#ticks[i] as Ticks) : ref.AlertId;
      if (typeof id !== 'string' || seen.has(id)) continue;
      seen.add(id);
      ids.push(id);
    }
    for (const id of ids) this.update(id, at);
    return ids.length;
  }

  #materialise(ref: Ref, ticks: Ticks): SiemAlert {
    if (typeof ref !== 'number') return ref;
    return this.#generator.generate(Math.floor(ref / PARTS_RADIX), ref % PARTS_RADIX, ticks);
  }

  /** Spreads `count` generated records over [start, start + window], ascending, groups sharing a time. */
  #layOut(count: number, start: Ticks, windowTicks: Ticks): void {
    const spacing = Number(windowTicks) / Math.max(count, 1);
    let previous = start;
    for (let k = 0; k < count;) {
      const group = this.#nextGroup++;
      const parts = Math.min(this.#generator.detectionsIn(group), count - k);
      // Position k plus a jitter in [0, 1) spacings keeps the sequence non-decreasing.
      const jitter = (Math.imul(group + 1, 0x9e3779b1) >>> 0) / 0x1_0000_0000;
      let ticks = start + BigInt(Math.floor((k + jitter) * spacing));
      if (ticks < previous) ticks = previous;
      if (ticks > start + windowTicks) ticks = start + windowTicks;
      for (let part = 0; part < parts; part++) {
        this.#ticks.push(ticks);
        this.#refs.push(group * PARTS_RADIX + part);
      }
      previous = ticks;
      k += parts;
    }
  }

  /** Adds the alerts that arrived (at the configured rate) up to `now`. */
  #arrive(now: Ticks): void {
    if (this.#intervalTicks === undefined) return;
    while (this.#nextArrival <= now) {
      const group = this.#nextGroup++;
      const parts = this.#generator.detectionsIn(group);
      for (let part = 0; part < parts; part++) this.#insert(this.#nextArrival, group * PARTS_RADIX + part);
      this.#nextArrival += this.#intervalTicks;
    }
  }

  #insert(ticks: Ticks, ref: Ref): void {
    const last = this.#ticks[this.#ticks.length - 1];
    if (last === undefined || ticks >= last) {
      this.#ticks.push(ticks);
      this.#refs.push(ref);
      return;
    }
    const at = upperBound(this.#ticks, ticks);
    this.#ticks.splice(at, 0, ticks);
    this.#refs.splice(at, 0, ref);
  }
}

/** Validates and resolves the time bounds and limit of a query, relative to `now`. */
export function parseBounds(q: AlertQuery, now: Ticks): { since: Ticks; until: Ticks; limit: number | undefined } {
  if (q.sinceTimeUtc !== undefined && q.ago !== undefined) {
    throw new InvalidQueryError('Use either sinceTimeUtc or ago, not both.');
  }
  let since = now - DEFAULT_LOOKBACK_TICKS;
  if (q.sinceTimeUtc !== undefined) {
    const parsed = parseTimestamp(q.sinceTimeUtc);
    if (parsed === undefined) throw new InvalidQueryError(`sinceTimeUtc "${q.sinceTimeUtc}" is not a valid DateTime.`);
    since = parsed;
  } else if (q.ago !== undefined) {
    const duration = parseDuration(q.ago);
    if (duration === undefined) {
      throw new InvalidQueryError(`ago "${q.ago}" is not an ISO-8601 duration such as PT10M.`);
    }
    since = now - duration;
  }
  let until = now;
  if (q.untilTimeUtc !== undefined) {
    const parsed = parseTimestamp(q.untilTimeUtc);
    if (parsed === undefined) throw new InvalidQueryError(`untilTimeUtc "${q.untilTimeUtc}" is not a valid DateTime.`);
    until = parsed;
  }
  let limit: number | undefined;
  if (q.limit !== undefined) {
    limit = typeof q.limit === 'number' ? q.limit : /^\d{1,9}$/.test(q.limit.trim()) ? Number(q.limit) : NaN;
    if (!Number.isInteger(limit) || limit < 0) throw new InvalidQueryError(`limit "${q.limit}" is not a whole number.`);
  }
  return { since, until, limit };
}

function hasTag(value: unknown, tag: string): boolean {
  if (typeof value !== 'string') return false;
  const wanted = tag.trim().toLowerCase();
  return value.split(',').some((t) => t.trim().toLowerCase() === wanted);
}

/** First index whose ticks are >= `t`. */
function lowerBound(sorted: readonly Ticks[], t: Ticks): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as Ticks) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose ticks are > `t`. */
function upperBound(sorted: readonly Ticks[], t: Ticks): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as Ticks) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
