/**
 * The framing of each output format: the bytes written around the alerts, and for the SIEM line
 * formats how an alert becomes its line. Pure. In json and ndjson the alerts are the API's own
 * compact JSON bytes, never re-serialised; `--split evidence` and CEF/LEEF build new records.
 */
import { cefLine } from './cef.js';
import { leefLine } from './leef.js';

/** The output formats `--format` accepts. */
export type OutputFormatName = 'json' | 'ndjson' | 'cef' | 'leef';

/** What goes around the alerts in one output document. */
export interface OutputFormat {
  /** Bytes written before alert number `index` (0-based). */
  before(index: number): Buffer;
  /** Bytes written after every alert. */
  readonly after: Buffer;
  /** Bytes that finish the document once `count` alerts were written. */
  end(count: number): Buffer;
  /** What an alert's JSON bytes become in this format (absent: written as they are). */
  readonly encode?: ((raw: Buffer) => Buffer) | undefined;
}

const EMPTY = Buffer.alloc(0);
const OPEN = Buffer.from('[');
const SEPARATOR = Buffer.from(',\n');
const CLOSE = Buffer.from(']\n');
const EMPTY_ARRAY = Buffer.from('[]\n');
const NEWLINE = Buffer.from('\n');

/**
 * `[` + alerts separated by `,\n` + `]\n`: one valid JSON array, `[]\n` when there are no
 * alerts. The `[` waits for the first alert so a run that fails before any alert writes nothing.
 */
const json: OutputFormat = {
  before: (index) => (index === 0 ? OPEN : SEPARATOR),
  after: EMPTY,
  end: (count) => (count === 0 ? EMPTY_ARRAY : CLOSE),
};

/** One alert per line (https://github.com/ndjson/ndjson-spec); nothing at all for no alerts. */
const ndjson: OutputFormat = {
  before: () => EMPTY,
  after: NEWLINE,
  end: () => EMPTY,
};

const parse = (raw: Buffer): Record<string, unknown> => JSON.parse(raw.toString('utf8')) as Record<string, unknown>;

/** One line per alert with Microsoft's ArcSight mapping (output/cef.ts), for ArcSight and Sentinel's CommonSecurityLog. */
const cef: OutputFormat = { ...ndjson, encode: (raw) => Buffer.from(cefLine(parse(raw)), 'utf8') };

/** One line per alert in QRadar's LEEF 2.0 (output/leef.ts). */
const leef: OutputFormat = { ...ndjson, encode: (raw) => Buffer.from(leefLine(parse(raw)), 'utf8') };

/**
 * `--split evidence`: one NDJSON record per evidence item, the alert's other members kept in
 * their order and `evidence` holding that one item (an object), as Elastic's Defender for
 * Endpoint integration reads a file; an alert without evidence is one record with `evidence: {}`.
 * The records are re-serialised (JSON.stringify), which these APIs' alerts survive unchanged:
 * strings, booleans and small integers.
 */
export function splitEvidence(raw: Buffer): Buffer {
  const alert = parse(raw);
  const evidence = Array.isArray(alert['evidence']) ? (alert['evidence'] as unknown[]) : [];
  const items = evidence.length === 0 ? [{}] : evidence;
  return Buffer.from(items.map((item) => JSON.stringify({ ...alert, evidence: item })).join('\n'), 'utf8');
}

const ndjsonSplit: OutputFormat = { ...ndjson, encode: splitEvidence };

const FORMATS: Record<OutputFormatName, OutputFormat> = { json, ndjson, cef, leef };

/** The framing for a format name (`split`: ndjson's records per evidence item). */
export function outputFormat(name: OutputFormatName, split?: 'evidence'): OutputFormat {
  return split === 'evidence' && name === 'ndjson' ? ndjsonSplit : FORMATS[name];
}
