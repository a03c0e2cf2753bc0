/**
 * What the CEF and LEEF lines (./cef.ts, ./leef.ts) read from an alert in the SIEM API's flat
 * layout: the values of the fields Microsoft maps, the severity as a number, the event id and the
 * alert's time. Pure. docs/cef-leef.md explains each choice and its sources.
 *
 * Absent values come in three spellings — a missing key, `null` (the 2017 documentation example,
 * and the two booleans in the 2020 one) or `""` (every other empty string in 2020) — and all three
 * mean "leave the key out": neither format has a way to say "empty" that consumers agree on.
 */
import { parseTimeOption, TimeParseError } from '../time.js';

/** One alert in the SIEM layout, as the API wrote it or as src/alert/to-siem.ts mapped it. */
export type SiemRecord = Readonly<Record<string, unknown>>;

/**
 * The static header values of Microsoft's ArcSight mapping (the "Not part of the schema" rows of
 * its alert-fields table): keeping them lets content written for Microsoft's own connector match.
 */
export const DEVICE_VENDOR = 'Microsoft';
export const DEVICE_PRODUCT = 'Microsoft Defender ATP';
/** "used to identify the mapping versions" — 2.0 is the version of the mapping, not of the product. */
export const DEVICE_VERSION = '2.0';

/** A field's value as text, or undefined when it is absent or not a scalar. */
export function text(alert: SiemRecord, field: string): string | undefined {
  const value = alert[field];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** A boolean field as CEF's number fields want it: 1 or 0 (Microsoft's table), undefined when not a boolean. */
export function flag(alert: SiemRecord, field: string): string | undefined {
  const value = alert[field];
  return typeof value === 'boolean' ? (value ? '1' : '0') : undefined;
}

/**
 * Microsoft's severities on the 0–10 scale CEF and LEEF share: each word is put at the top of
 * the CEF band of the same name (Low 0–3, Medium 4–6, High 7–8), and Informational below Low.
 * Nothing reaches CEF's Very-High band (9–10): Defender has no severity above High.
 */
const SEVERITY_SCORE: Readonly<Record<string, number>> = { informational: 1, low: 3, medium: 6, high: 8 };

/** The alert's severity as 1, 3, 6 or 8; undefined for UnSpecified, Unknown, absent or anything else. */
export function severityScore(alert: SiemRecord): number | undefined {
  const word = text(alert, 'Severity')?.toLowerCase();
  return word === undefined ? undefined : SEVERITY_SCORE[word];
}

/**
 * What identifies the kind of detection (CEF's Signature ID, LEEF's EventID). Microsoft's table
 * gives none. IoaDefinitionId is the id of the rule that raised the alert — Microsoft's field
 * notes say it "can be used for aggregations in the SIEM" — so it is used when present (the 2017
 * example spells it IoaDefinitiondId); otherwise the category, which is stable and never
 * translated; otherwise `Unknown`, since both headers need a value.
 */
export function eventClassId(alert: SiemRecord): string {
  return text(alert, 'IoaDefinitionId') ?? text(alert, 'IoaDefinitiondId') ?? text(alert, 'Category') ?? 'Unknown';
}

/**
 * The device's host name. Microsoft maps MachineName; ComputerDnsName (MachineName plus
 * MachineDomain) stands in when MachineName is absent, as in the 2017 answers that lack it. Both
 * formats' host keys accept a short name or a fully qualified one.
 */
export function hostName(alert: SiemRecord): string | undefined {
  return text(alert, 'MachineName') ?? text(alert, 'ComputerDnsName');
}

const EPOCH = new Date(0);
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;

/**
 * AlertTime as milliseconds since the epoch, or undefined when it is absent or not an ISO-8601
 * date-time. Defender writes up to 7 fractional digits (100 ns); both formats stop at the
 * millisecond, so the rest is cut off (never rounded up past the real time).
 */
export function alertTimeMs(alert: SiemRecord): number | undefined {
  const value = text(alert, 'AlertTime');
  // parseTimeOption also reads relative times (`90s`): only a date-time may pass.
  if (value === undefined || !ISO_DATE_TIME.test(value)) return undefined;
  try {
    return parseTimeOption(value, EPOCH).getTime();
  } catch (err) {
    if (err instanceof TimeParseError) return undefined;
    throw err;
  }
}

/**
 * A field of a pipe-delimited header (CEF's, and LEEF's by the same convention): `\` and `|` are
 * escaped with a backslash, and line breaks — which the header may not hold, the line being the
 * record — become one space each (a CR LF pair counts as one).
 */
export function headerField(value: string): string {
  return value.replace(/\r\n|[\r\n]/g, ' ').replace(/[\\|]/g, '\\$&');
}
