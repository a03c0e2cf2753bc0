/**
 * The framing of each output format: the bytes written around the alerts. Pure data; the alerts
 * themselves are always the API's own compact JSON bytes, never re-serialised.
 */

/** The output formats `--format` accepts. */
export type OutputFormatName = 'json' | 'ndjson';

/** What goes around the alerts in one output document. */
export interface OutputFormat {
  /** Bytes written before alert number `index` (0-based). */
  before(index: number): Buffer;
  /** Bytes written after every alert. */
  readonly after: Buffer;
  /** Bytes that finish the document once `count` alerts were written. */
  end(count: number): Buffer;
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

const FORMATS: Record<OutputFormatName, OutputFormat> = { json, ndjson };

/** The framing for a format name. */
export function outputFormat(name: OutputFormatName): OutputFormat {
  return FORMATS[name];
}
