/**
 * A CEF reader written from the text of "Implementing ArcSight Common Event Format" rev. 25, for
 * the tests only and on purpose unlike src/output/cef.ts: a character scanner rather than
 * replace(), and strict — an escape the specification does not define is an error, not a guess.
 *
 * Header: seven `|`-separated fields, in which `\|` and `\\` stand for `|` and `\`. Extension:
 * `key=value` pairs separated by a space, where every unescaped `=` ends a key, the key is the run
 * of characters back to the space before it, and in values `\=`, `\\`, `\r`, `\n` stand for `=`,
 * `\`, CR and LF.
 */

export interface ParsedCef {
  /** The seven header fields, unescaped: version (`CEF:0`), vendor, product, version, signature id, name, severity. */
  readonly header: readonly string[];
  /** The extension's pairs in their order, values unescaped. */
  readonly extension: ReadonlyArray<readonly [key: string, value: string]>;
}

const HEADER_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '|': '|' };
const VALUE_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', '=': '=', r: '\r', n: '\n' };
const KEY = /^[A-Za-z][A-Za-z0-9]*$/;

function unescape(text: string, escapes: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[i + 1];
    const meant = next === undefined ? undefined : escapes[next];
    if (meant === undefined) throw new Error(`undefined escape \\${next ?? '(end)'} at ${i} in ${JSON.stringify(text)}`);
    out += meant;
    i++;
  }
  return out;
}

/** Reads one CEF line (no syslog prefix, no line terminator). Throws on anything rev. 25 does not allow. */
export function parseCef(line: string): ParsedCef {
  const rawHeader: string[] = [];
  let start = 0;
  let i = 0;
  for (; i < line.length && rawHeader.length < 7; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '|') {
      rawHeader.push(line.slice(start, i));
      start = i + 1;
    }
  }
  if (rawHeader.length < 7) throw new Error(`only ${rawHeader.length} header fields in ${JSON.stringify(line)}`);
  const header = rawHeader.map((f) => unescape(f, HEADER_ESCAPES));
  if (/[\r\n]/.test(line)) throw new Error('a CEF line holds no line break');

  const ext = line.slice(start);
  // Every unescaped `=` ends a key.
  const equals: number[] = [];
  for (let j = 0; j < ext.length; j++) {
    if (ext[j] === '\\') j++;
    else if (ext[j] === '=') equals.push(j);
  }
  const keys = equals.map((eq) => {
    const from = ext.lastIndexOf(' ', eq) + 1;
    const key = ext.slice(from, eq);
    if (!KEY.test(key)) throw new Error(`bad key ${JSON.stringify(key)} in ${JSON.stringify(ext)}`);
    return { key, from, eq };
  });
  if (keys.length > 0 && keys[0]!.from !== 0) throw new Error(`text before the first key in ${JSON.stringify(ext)}`);
  const extension = keys.map(({ key, eq }, n): [string, string] => {
    const next = keys[n + 1];
    // The value ends at the single space that separates it from the next key.
    const raw = next === undefined ? ext.slice(eq + 1) : ext.slice(eq + 1, next.from - 1);
    return [key, unescape(raw, VALUE_ESCAPES)];
  });
  return { header, extension };
}

/** The extension as an object, checking that no key appears twice. */
export function extensionOf(parsed: ParsedCef): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of parsed.extension) {
    if (key in out) throw new Error(`key ${key} appears twice`);
    out[key] = value;
  }
  return out;
}
