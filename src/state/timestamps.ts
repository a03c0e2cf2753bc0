/**
 * Exact comparison of Defender timestamps. `LastProcessedTimeUtc` carries up to 7 fractional
 * digits (`2017-01-23T07:32:54.1861171Z`), more than a JavaScript Date holds, and collectors that
 * parse it into milliseconds lose alerts that share a millisecond (API-NOTES §3b). We normalise
 * to a fixed 7-digit form instead, which sorts as text.
 */

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
