/**
 * Time, in one module: parsing of the time options `--since`, `--until` (absolute or a duration
 * before now), `--ago` (a duration sent in ISO-8601) and the durations, each in one grammar; formatting for people; and the exact 7-digit
 * timestamps the APIs write. Pure: `now` is passed in.
 */

const UNIT_MS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type Unit = keyof typeof UNIT_MS;
const UNITS = Object.keys(UNIT_MS) as Unit[];

// `90s`, `15m`, `2h`, `7d`, `1w`, and compounds in falling order `2h30m`, `1d12h`, `1w2d`: each part
// a whole number (at most 9 digits) and a unit, as README documents and `journalctl --since` or Go's
// time.ParseDuration users expect. Lower case only: `M` would read as months to some.
const COMPOUND = /^(?:(\d{1,9})\s*w)?\s*(?:(\d{1,9})\s*d)?\s*(?:(\d{1,9})\s*h)?\s*(?:(\d{1,9})\s*m)?\s*(?:(\d{1,9})\s*s)?$/;

// ISO-8601 duration (`PT10M`, `P1DT2H`, `P1W`): days and weeks, hours, minutes, seconds with a
// fraction. Months and years are left out: their length depends on the calendar.
const ISO_DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

// ISO-8601 date-time as the SIEM API documents it (`2016-09-12T00:00:00.000`) and as people type it:
// a date, optionally a time with up to 7 fractional digits (Defender's own precision), optionally a
// zone. A date-time without a zone is taken as UTC, which is what the API's `*TimeUtc` parameters mean.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** The forms a duration takes, for messages. */
const DURATION_FORMS = '90s, 15m, 2h30m, 7d, 1w or PT2H';

/** A time option that could not be understood; `reason` completes "… <reason>". */
export class TimeParseError extends Error {}

/** The parts of an ISO-8601 duration (`P1W`, `PT1.5S`), or undefined when `text` is not one. */
function isoParts(text: string): Record<Unit, number> | undefined {
  const m = ISO_DURATION.exec(text);
  if (!m || /^P$|T$/i.test(text)) return undefined;
  const [, w = '0', d = '0', h = '0', mi = '0', s = '0'] = m;
  return { w: Number(w), d: Number(d), h: Number(h), m: Number(mi), s: Number(s) };
}

const part = (digits: string | undefined): number => Number(digits ?? 0);

/** The length of `text` in ms when it is a duration in any accepted form, else undefined. */
function durationMs(text: string): number | undefined {
  const compound = text === '' ? null : COMPOUND.exec(text);
  const parts = compound
    ? { w: part(compound[1]), d: part(compound[2]), h: part(compound[3]), m: part(compound[4]), s: part(compound[5]) }
    : isoParts(text);
  if (parts === undefined) return undefined;
  return Math.round(UNITS.reduce((ms, unit) => ms + parts[unit] * UNIT_MS[unit], 0));
}

/**
 * Parses a duration into milliseconds (`--overlap`, `--window`, `--interval`, …): `90s`, `15m`,
 * `2h`, `7d`, `1w`, a compound in falling order (`2h30m`, `1d12h`), or ISO-8601 (`PT2H`, `P1D`,
 * `P1W`, `PT1.5S`).
 */
export function parseDuration(input: string): number {
  const ms = durationMs(input.trim());
  if (ms === undefined) throw new TimeParseError(`"${input}" is not a duration such as ${DURATION_FORMS}`);
  if (!Number.isFinite(ms)) throw new TimeParseError(`"${input}" is too long a duration`);
  return ms;
}

/**
 * Parses `--since`/`--until`: a duration before `now` (any form {@link parseDuration} takes) or an
 * ISO-8601 date-time (no zone = UTC). Returns the instant.
 */
export function parseTimeOption(input: string, now: Date): Date {
  const text = input.trim();
  const back = durationMs(text);
  if (back !== undefined) {
    const date = new Date(now.getTime() - back);
    // `999999999d` is before the earliest Date (-271821): an Invalid Date would surface much
    // later as a RangeError (exit 1) when the URL is built.
    if (Number.isNaN(date.getTime())) throw new TimeParseError(`"${input}" is too far in the past`);
    return date;
  }
  const iso = ISO.exec(text);
  if (!iso) {
    throw new TimeParseError(`"${input}" is neither a duration before now (${DURATION_FORMS}) nor an ISO-8601 time (2024-05-01T12:00:00Z)`);
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

/**
 * Validates an ISO-8601 duration as the SIEM API's `ago` parameter takes it (`PT10M`, `P1DT2H`:
 * no weeks, which its examples never use) and returns its length in ms.
 */
export function parseIsoDuration(input: string): number {
  const parts = isoParts(input.trim());
  if (parts === undefined || parts.w !== 0 || /W/i.test(input)) {
    throw new TimeParseError(`"${input}" is not an ISO-8601 duration such as PT10M, PT2H or P1D`);
  }
  const ms = UNITS.reduce((sum, unit) => sum + parts[unit] * UNIT_MS[unit], 0);
  if (ms <= 0) throw new TimeParseError(`"${input}" is an empty duration`);
  return ms;
}

/**
 * The ISO-8601 form of a length of time that {@link parseIsoDuration} reads back to the same
 * milliseconds: days, hours, minutes, seconds (`P1DT2H30M`, `PT0.5S`).
 */
export function isoDuration(ms: number): string {
  const days = Math.floor(ms / UNIT_MS.d);
  const hours = Math.floor((ms % UNIT_MS.d) / UNIT_MS.h);
  const minutes = Math.floor((ms % UNIT_MS.h) / UNIT_MS.m);
  const millis = ms % UNIT_MS.m;
  const seconds = millis % 1000 === 0 ? String(millis / 1000) : (millis / 1000).toFixed(3).replace(/0+$/, '');
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${millis ? `${seconds}S` : ''}`;
  if (days === 0 && time === '') return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
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
