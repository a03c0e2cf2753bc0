/**
 * Parsing of the `Retry-After` response header (RFC 9110 §10.2.3):
 *
 *     Retry-After = HTTP-date / delay-seconds
 *
 * Pure: the caller passes the current time.
 */

const MONTHS: Readonly<Record<string, number>> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

// RFC 9110 §5.6.7: recipients must accept all three HTTP-date forms, all in GMT.
/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT` */
const RFC850_DATE = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
/** obsolete asctime: `Sun Nov  6 08:49:37 1994` */
const ASCTIME_DATE = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/** Seconds; a fraction or a minus sign is not RFC syntax but is seen in the wild and harmless. */
const DELAY_SECONDS = /^-?\d+(?:\.\d+)?$/;

/**
 * The delay in milliseconds that a `Retry-After` value asks for.
 *
 * @returns the delay (0 for a negative delay or a date in the past), or `undefined` when
 *   the header is absent or is neither delay-seconds nor an HTTP-date.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;

  if (DELAY_SECONDS.test(text)) {
    return Math.max(0, Math.ceil(Number(text) * 1000));
  }
  const dateMs = parseHttpDate(text);
  if (dateMs === undefined) return undefined;
  return Math.max(0, dateMs - nowMs);
}

/** Milliseconds since the epoch of an HTTP-date in any of its three forms, or undefined. */
function parseHttpDate(text: string): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(m[3], m[2], m[1], m[4], m[5], m[6]);

  m = RFC850_DATE.exec(text);
  if (m) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future means the past century.
    // Fixed pivot rather than "now" keeps this pure and is right until 2050.
    const yy = Number(m[3]);
    const year = String(yy < 50 ? 2000 + yy : 1900 + yy);
    return utc(year, m[2], m[1], m[4], m[5], m[6]);
  }

  m = ASCTIME_DATE.exec(text);
  if (m) return utc(m[6], m[1], m[2], m[3], m[4], m[5]);

  return undefined;
}

function utc(
  year: string | undefined,
  monthName: string | undefined,
  day: string | undefined,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
): number | undefined {
  const month = MONTHS[(monthName ?? '').toLowerCase()];
  if (month === undefined) return undefined;
  const d = Number(day);
  const h = Number(hour);
  const min = Number(minute);
  const s = Number(second);
  if (d < 1 || d > 31 || h > 23 || min > 59 || s > 60) return undefined;
  const ms = Date.UTC(Number(year), month, d, h, min, Math.min(s, 59));
  return Number.isFinite(ms) ? ms : undefined;
}
