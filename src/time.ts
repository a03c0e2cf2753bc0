/**
 * Time, in one module: parsing of the time options `--since`, `--until` (absolute or relative),
 * `--ago` (ISO-8601 duration) and the durations; formatting for people; and the exact 7-digit
 * timestamps the APIs write. Pure: `now` is passed in.
 */

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

// `90s`, `15m`, `2h`, `7d` — a whole number and one unit, as README documents and `journalctl --since` users expect.
const RELATIVE = /^(\d{1,9})\s*([smhd])$/;

// ISO-8601 date-time as the SIEM API documents it (`2016-09-12T00:00:00.000`) and as people type it:
// a date, optionally a time with up to 7 fractional digits (Defender's own precision), optionally a
// zone. A date-time without a zone is taken as UTC, which is what the API's `*TimeUtc` parameters mean.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A time option that could not be understood; `reason` completes "… <reason>". */
export class TimeParseError extends Error {}

/** Parses a relative duration (`90s`, `15m`, `2h`, `7d`) into milliseconds (`--overlap`, `--window`). */
export function parseDuration(input: string): number {
  const rel = RELATIVE.exec(input.trim());
  if (!rel) throw new TimeParseError(`"${input}" is not a duration such as 90s, 15m, 2h or 7d`);
  return Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
}

/**
 * Parses `--since`/`--until`: a relative duration before `now` (`90s`, `15m`, `2h`, `7d`) or an
 * ISO-8601 date-time (no zone = UTC). Returns the instant.
 */
export function parseTimeOption(input: string, now: Date): Date {
  const text = input.trim();
  const rel = RELATIVE.exec(text);
  if (rel) {
    const amount = Number(rel[1]);
    const unit = rel[2] as keyof typeof UNIT_MS;
    const date = new Date(now.getTime() - amount * UNIT_MS[unit]);
    // `999999999d` is before the earliest Date (-271821): an Invalid Date would surface much
    // later as a RangeError (exit 1) when the URL is built.
    if (Number.isNaN(date.getTime())) throw new TimeParseError(`"${input}" is too far in the past`);
    return date;
  }
  const iso = ISO.exec(text);
  if (!iso) {
    throw new TimeParseError(`"${input}" is neither a relative time (90s, 15m, 2h, 7d) nor an ISO-8601 time (2024-05-01T12:00:00Z)`);
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = iso;
  const ms = Number((frac + '000').slice(0, 3));
  const offset = zone.toUpperCase() === 'Z' ? '+00:00' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${String(ms).padStart(3, '0')}${offset}`);
  // Date accepts 2024-02-31 by rolling over; a user who typed that made a mistake we should show.
  const roundTrip = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    Number.isNaN(date.getTime()) ||
    roundTrip.getUTCMonth() !== Number(mo) - 1 ||
    roundTrip.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    throw new TimeParseError(`"${input}" is not a valid date and time`);
  }
  return date;
}

// ISO-8601 duration as the SIEM API's `ago` parameter takes it (`PT10M`, `P1DT2H`). Weeks, months
// and years are left out: their length is ambiguous and the API's examples never use them.
const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** Validates an ISO-8601 duration for `--ago` and returns its length in ms (it is sent as typed). */
export function parseIsoDuration(input: string): number {
  const text = input.trim();
  const m = DURATION.exec(text);
  if (!m || text.toUpperCase() === 'P' || text.toUpperCase().endsWith('T')) {
    throw new TimeParseError(`"${input}" is not an ISO-8601 duration such as PT10M, PT2H or P1D`);
  }
  const [, d = '0', h = '0', mi = '0', s = '0'] = m;
  const ms = Number(d) * UNIT_MS.d + Number(h) * UNIT_MS.h + Number(mi) * UNIT_MS.m + Number(s) * UNIT_MS.s;
  if (ms <= 0) throw new TimeParseError(`"${input}" is an empty duration`);
  return ms;
}

/** The form we send in `sinceTimeUtc`/`untilTimeUtc`: ISO-8601 UTC with milliseconds. */
export function formatUtc(date: Date): string {
  return date.toISOString();
}

/**
 * A length of time for people, in the units the duration options take: `450 ms`, `5s`, `2m30s`,
 * `1h`, `3d4h`. Whole seconds and above drop the remainder below the two largest units.
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const parts: [number, string][] = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join('');
}

// Exact comparison of Defender timestamps. `LastProcessedTimeUtc` carries up to 7 fractional
// digits (`2017-01-23T07:32:54.1861171Z`), more than a JavaScript Date holds, and collectors that
// parse it into milliseconds lose alerts that share a millisecond. They are normalised to a fixed
// 7-digit form instead, which sorts as text.

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?Z?$/;

/** `2024-05-01T10:00:00.1Z` → `2024-05-01T10:00:00.1000000Z`; undefined when not a UTC timestamp. */
export function normalizeTimestamp(text: string): string | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(7, '0')}Z`;
}

/** The normalised form of a Date (whole milliseconds). */
export function timestampOf(date: Date): string {
  return `${date.toISOString().slice(0, 23)}0000Z`;
}

/** The Date of a normalised timestamp, rounded down to the millisecond. */
export function dateOf(normalized: string): Date {
  return new Date(`${normalized.slice(0, 23)}Z`);
}

/**
 * A stretch of time read as one: what a `pull --state` run cuts its range into, and what its
 * checkpoint moves over once a window is delivered.
 */
export interface Window {
  since: Date;
  until: Date;
}
