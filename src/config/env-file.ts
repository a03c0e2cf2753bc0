/**
 * The dotenv grammar of `--env-file`, checked line by line, and how the file is layered under the
 * process environment. Pure: config/files.ts reads the file.
 *
 * Node's `util.parseEnv` decodes the values (quotes, `\n` in double quotes, `#` comments), so a value
 * means what it means to `node --env-file`. It does not check the lines: it skips what it cannot
 * parse, and some Node 20 releases glue a line without `=` to the next one into a key
 * (`foo bar\nAZURE_TENANT_ID`), silently dropping a setting. So the lines and the names are read
 * here, and each value alone is handed to parseEnv.
 */
import { parseEnv } from 'node:util';
import type { Env } from './types.js';

/** One `KEY=VALUE` of the file; `line` is where it starts (a quoted value may span lines). */
export interface EnvFileEntry {
  key: string;
  line: number;
}

export interface EnvFileProblem {
  line: number;
  message: string;
}

export interface ParsedEnvFile {
  values: Record<string, string>;
  entries: EnvFileEntry[];
  problems: EnvFileProblem[];
}

// The names dotenv accepts ([\w.-]+), not starting with a digit as a shell's.
const NAME = /^[A-Za-z_][\w.-]*$/;
const ENTRY = /^[ \t]*(?:export[ \t]+)?([^=]*)=(.*)$/;
const QUOTES = new Set(['"', "'", '`']);

/**
 * Reads a dotenv text: `KEY=VALUE` (optionally `export KEY=VALUE`), values unquoted (up to a `#`)
 * or in "double", 'single' or `back` quotes — which may span lines, as parseEnv allows — with
 * `# comments` and blank lines. Every line that is none of these is a problem with its line
 * number; the message never quotes the line, which may hold a secret typed in the wrong place.
 */
export function parseEnvFile(text: string): ParsedEnvFile {
  // A byte-order mark (Windows Notepad) would otherwise become part of the first name.
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const values: Record<string, string> = {};
  const entries: EnvFileEntry[] = [];
  const problems: EnvFileProblem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const content = lines[i] ?? '';
    if (/^[ \t]*(#|$)/.test(content)) continue;
    const match = ENTRY.exec(content);
    if (match === null) {
      problems.push({ line, message: 'expected KEY=VALUE, a # comment or a blank line' });
      continue;
    }
    const key = (match[1] ?? '').trim();
    let value = match[2] ?? '';
    if (!NAME.test(key)) {
      problems.push({ line, message: 'the name before "=" is not a variable name (letters, digits and _, not starting with a digit)' });
      continue;
    }
    // parseEnv trims spaces (not tabs) before looking for a quote.
    const start = value.replace(/^ +/, '');
    const quote = start[0] ?? '';
    if (QUOTES.has(quote)) {
      let close = start.indexOf(quote, 1);
      let after = close === -1 ? '' : start.slice(close + 1);
      let last = i;
      // The value goes on to the first line holding the closing quote (parseEnv has no escaped quotes).
      for (let j = i + 1; close === -1 && j < lines.length; j++) {
        close = (lines[j] ?? '').indexOf(quote);
        if (close !== -1) {
          value = [value, ...lines.slice(i + 1, j + 1)].join('\n');
          after = (lines[j] ?? '').slice(close + 1);
          last = j;
        }
      }
      if (close === -1) {
        problems.push({ line, message: `the ${quote} that opens the value of ${key} is never closed` });
        continue;
      }
      i = last;
      if (!/^[ \t]*(#|$)/.test(after)) {
        const opened = last === line - 1 ? '' : ` (opened on line ${line})`;
        problems.push({
          line: last + 1,
          message: `text follows the closing ${quote} of ${key}'s value${opened}: quote the whole value, with another kind of quotes if it holds a ${quote}`,
        });
        continue;
      }
    }
    values[key] = parseEnv(`V=${value}`)['V'] ?? '';
    entries.push({ key, line });
  }
  return { values, entries, problems };
}

// dispatcher.ts reads the lower-case form of a proxy variable first, as curl does.
const PROXY_VARIABLES = [
  ['https_proxy', 'HTTPS_PROXY'],
  ['http_proxy', 'HTTP_PROXY'],
  ['no_proxy', 'NO_PROXY'],
] as const;

/**
 * The process environment layered over the env file: each variable set in the environment wins.
 * A proxy variable counts in either case, so the file's `https_proxy` cannot beat the environment's
 * `HTTPS_PROXY` just because the lower-case form is read first.
 */
export function layerEnvironment(file: Readonly<Record<string, string>>, env: Env): Env {
  const layered: Record<string, string | undefined> = { ...file, ...env };
  for (const forms of PROXY_VARIABLES) {
    if (!forms.some((name) => env[name] !== undefined)) continue;
    for (const name of forms) if (env[name] === undefined) delete layered[name];
  }
  return layered;
}
