/**
 * A LEEF 2.0 reader for the tests, from IBM's "Log Event Extended Format (LEEF)" guide: six
 * `|`-terminated header fields (`\|` and `\\` read as in CEF, the convention src/output/leef.ts
 * follows), the sixth naming the attribute delimiter as one character or its hex code (`x09`,
 * `0x09`), then `key=value` attributes separated by that delimiter, each key ending at its first `=`.
 */

export interface ParsedLeef {
  /** `LEEF:2.0`, vendor, product, version, event id, delimiter (as written). */
  readonly header: readonly string[];
  readonly attributes: ReadonlyArray<readonly [key: string, value: string]>;
}

function delimiterOf(field: string): string {
  const hex = /^(?:0x|x)([0-9a-f]{2,4})$/i.exec(field);
  if (hex) return String.fromCharCode(parseInt(hex[1]!, 16));
  if ([...field].length !== 1) throw new Error(`bad delimiter ${JSON.stringify(field)}`);
  return field;
}

/** Reads one LEEF 2.0 line (no syslog prefix, no line terminator). */
export function parseLeef(line: string): ParsedLeef {
  if (/[\r\n]/.test(line)) throw new Error('a LEEF line holds no line break');
  const header: string[] = [];
  let field = '';
  let i = 0;
  for (; i < line.length && header.length < 6; i++) {
    const c = line[i]!;
    if (c === '\\' && (line[i + 1] === '\\' || line[i + 1] === '|')) {
      field += line[++i]!;
    } else if (c === '|') {
      header.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  if (header.length < 6 || header[0] !== 'LEEF:2.0') throw new Error(`not a LEEF 2.0 header: ${JSON.stringify(line)}`);
  const payload = line.slice(i);
  const attributes = payload.split(delimiterOf(header[5]!)).map((pair): [string, string] => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`no key in ${JSON.stringify(pair)}`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  });
  return { header, attributes };
}

/** The attributes as an object, checking that no key appears twice (IBM: QRadar ignores a repeated key). */
export function attributesOf(parsed: ParsedLeef): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of parsed.attributes) {
    if (key in out) throw new Error(`key ${key} appears twice`);
    out[key] = value;
  }
  return out;
}
