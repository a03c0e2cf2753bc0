/**
 * Exact time for the simulator: instants as bigint counts of 100-ns ticks since the Unix epoch,
 * the precision of Defender's 7-digit timestamps (`2017-01-23T11:33:45.0760449Z`). A JS Date
 * (milliseconds) would silently merge alerts 0.0001 ms apart, and a double cannot hold today's
 * tick count exactly (it is above 2^53). Pure functions, no clock.
 */

export type Ticks = bigint;

export const TICKS_PER_MS = 10_000n;
export const TICKS_PER_SECOND = 10_000_000n;
export const TICKS_PER_MINUTE = 60n * TICKS_PER_SECOND;
export const TICKS_PER_HOUR = 60n * TICKS_PER_MINUTE;
export const TICKS_PER_DAY = 24n * TICKS_PER_HOUR;

/** .NET `DateTime.Ticks` of the Unix epoch (0001-01-01 to 1970-01-01); Defender AlertIds embed .NET ticks. */
export const DOTNET_EPOCH_OFFSET_TICKS = 621_355_968_000_000_000n;

export function ticksFromDate(date: Date): Ticks {
  return BigInt(date.getTime()) * TICKS_PER_MS;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** The 7 fractional digits and the millisecond instant of `ticks`. */
function split(ticks: Ticks): { ms: number; fraction: string } {
  const ms = floorDiv(ticks, TICKS_PER_MS);
  const sub = ticks - ms * TICKS_PER_MS; // 0..9999 ticks below the millisecond
  const iso = new Date(Number(ms)).toISOString();
  return { ms: Number(ms), fraction: iso.slice(20, 23) + sub.toString().padStart(4, '0') };
}

/** `2017-01-23T11:33:45.0760449Z`: always 7 fractional digits, the `LastProcessedTimeUtc` form. */
export function formatTicks(ticks: Ticks): string {
  const { ms, fraction } = split(ticks);
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
}

/**
 * .NET's round-trip form with trailing zeros trimmed (`2020-09-30T14:09:20.35743Z`), as Defender
 * writes `AlertTime`.
 */
export function formatTicksTrimmed(ticks: Ticks): string {
  const { ms, fraction } = split(ticks);
  const trimmed = fraction.replace(/0+$/, '');
  return `${new Date(ms).toISOString().slice(0, 19)}${trimmed ? `.${trimmed}` : ''}Z`;
}

// The forms the SIEM API documents and clients send: `2016-09-12T00:00:00.000`,
// `"2016-09-12 00:00:00"` (quotes included, in the earliest doc), with or without `Z`, 0–7
// fraction digits, or an explicit offset. No zone means UTC: the parameters are `*TimeUtc`.
const TIMESTAMP = /^"?(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:\d{2})?"?$/i;

/** Parses a query-string timestamp to ticks, or returns undefined if it is not one. */
export function parseTimestamp(text: string): Ticks | undefined {
  const m = TIMESTAMP.exec(text.trim());
  if (!m || text.trim().startsWith('"') !== text.trim().endsWith('"')) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined; // 2024-02-31, or a two-digit year Date.UTC would move to 19xx
  }
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  return BigInt(ms) * TICKS_PER_MS + BigInt(frac.padEnd(7, '0') || '0') - BigInt(offsetMinutes) * TICKS_PER_MINUTE;
}

// ISO-8601 durations as `ago=PT10M` uses them. Years and months have no fixed length, so they
// are refused rather than guessed.
const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{1,7}))?S)?)?$/i;

/** Parses an ISO-8601 duration (`PT10M`, `P1DT2H`, `PT0.5S`, `P1W`) to ticks, or undefined. */
export function parseDuration(text: string): Ticks | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || /^P$|T$/i.test(text.trim())) return undefined;
  const [, w = '0', d = '0', h = '0', mi = '0', s = '0', frac = ''] = m;
  return (
    BigInt(w) * 7n * TICKS_PER_DAY +
    BigInt(d) * TICKS_PER_DAY +
    BigInt(h) * TICKS_PER_HOUR +
    BigInt(mi) * TICKS_PER_MINUTE +
    BigInt(s) * TICKS_PER_SECOND +
    BigInt(frac.padEnd(7, '0') || '0')
  );
}
