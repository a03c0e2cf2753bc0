/**
 * A check of a flat alert's raw bytes that needs no `JSON.parse` (parsing every alert into an
 * object was the largest single cost of `pull`, with the garbage it leaves; BENCHMARKS.md). It
 * accepts only compact, flat alerts whose every declared field surely passes the precheck
 * (./precheck.ts), and hands back only the few string fields the caller asks for. Anything else
 * (whitespace, nested values, escapes in a field we must read, a repeated declared key, an odd
 * number...) makes it answer "don't know", and the caller then runs the full path: JSON.parse,
 * precheck and zod, whose answer stands. Like the precheck it may be stricter than the schema,
 * never looser. Pure functions, no I/O.
 */
import { isUtf8 } from 'node:buffer';
import { BACKSLASH, CLOSE_BRACE, COLON, COMMA, OPEN_BRACE, QUOTE } from '../json/bytes.js';
import { UTC_TIMESTAMP, type FieldKind } from './precheck.js';

/** The values of the fields asked for (missing or `null` → undefined), or undefined for "don't know". */
export type ByteCheck = (raw: Buffer) => Record<string, string | undefined> | undefined;

const KIND_CODE: Record<FieldKind, number> = { identity: 1, timestamp: 2, text: 3, integer: 4, flag: 5 };
const IDENTITY = 1;
const TIMESTAMP = 2;
const INTEGER = 4;
const FLAG = 5;

/** Bytes that end a plain run inside a JSON string: quote, backslash and control characters. */
const STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STOP[c] = 1;
STOP[QUOTE] = 1;
STOP[BACKSLASH] = 1;

function hashName(bytes: Uint8Array, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + bytes[i]!) | 0;
  return h;
}

/**
 * Builds the byte check of a loose object schema declared as `{ field: kind }`, extracting the
 * string values of `extract` (fields of kind identity, timestamp or text).
 */
export function compileByteCheck(kinds: Readonly<Record<string, FieldKind>>, extract: readonly string[]): ByteCheck {
  const names = Object.keys(kinds);
  const nameBytes = names.map((n) => Buffer.from(n, 'utf8'));
  const kindOf = Uint8Array.from(names.map((n) => KIND_CODE[kinds[n]!]));
  const extractSlot = Int8Array.from(names.map((n) => extract.indexOf(n)));
  for (const field of extract) {
    const kind = kinds[field];
    if (kind !== 'identity' && kind !== 'timestamp' && kind !== 'text') throw new Error(`cannot extract ${field}`);
  }
  const required = names.flatMap((n, i) => (kinds[n] === 'identity' || kinds[n] === 'timestamp' ? [i] : []));
  // hash → field index; a collision between two of our own names is settled by a byte compare.
  const byHash = new Map<number, number[]>();
  nameBytes.forEach((b, i) => {
    const h = hashName(b, 0, b.length);
    byHash.set(h, [...(byHash.get(h) ?? []), i]);
  });
  const seen = new Uint32Array(names.length);
  /** next[f + 1]: the field that followed field f (next[0]: the first field) in an earlier alert, or -1. */
  const next = new Int16Array(names.length + 1).fill(-1);
  let generation = 0;

  function fieldAt(raw: Buffer, start: number, end: number): number {
    const candidates = byHash.get(hashName(raw, start, end));
    if (candidates === undefined) return -1;
    for (const i of candidates) {
      const b = nameBytes[i]!;
      if (b.length !== end - start) continue;
      let same = true;
      for (let k = 0; k < b.length; k++) {
        if (b[k] !== raw[start + k]) {
          same = false;
          break;
        }
      }
      if (same) return i;
    }
    return -1;
  }

  return function byteCheck(raw: Buffer): Record<string, string | undefined> | undefined {
    const n = raw.length;
    if (n < 2 || raw[0] !== OPEN_BRACE || raw[n - 1] !== CLOSE_BRACE) return undefined;
    if (++generation === 0xffffffff) {
      seen.fill(0);
      generation = 1;
    }
    const out: Record<string, string | undefined> = {};
    for (const field of extract) out[field] = undefined;
    let i = 1;
    let previous = 0;
    if (raw[i] === CLOSE_BRACE) {
      i = n; // `{}`: falls through to the required-field check
    }
    while (i < n - 1) {
      // key
      if (raw[i] !== QUOTE) return undefined;
      const keyStart = ++i;
      // Answers repeat one key order: try the field that followed the previous key last time.
      let field = -1;
      const guess = next[previous]!;
      if (guess >= 0) {
        const b = nameBytes[guess]!;
        const end = keyStart + b.length;
        if (end < n && raw[end] === QUOTE) {
          let k = 0;
          while (k < b.length && b[k] === raw[keyStart + k]) k++;
          if (k === b.length) {
            field = guess;
            i = end;
          }
        }
      }
      if (field < 0) {
        while (i < n && STOP[raw[i]!] === 0) i++;
        // escapes or control characters in a key: let JSON.parse decide what the key is
        if (i >= n || raw[i] !== QUOTE) return undefined;
        field = fieldAt(raw, keyStart, i);
        if (field >= 0) next[previous] = field;
      }
      i++;
      if (raw[i++] !== COLON) return undefined;
      if (field >= 0) previous = field + 1;
      let kind = 0;
      if (field >= 0) {
        if (seen[field] === generation) return undefined; // a repeated key: JSON.parse keeps the last
        seen[field] = generation;
        kind = kindOf[field]!;
      }
      // value
      const c = raw[i];
      if (c === QUOTE) {
        const valueStart = ++i;
        let escaped = false;
        for (;;) {
          while (i < n && STOP[raw[i]!] === 0) i++;
          if (i >= n) return undefined;
          const d = raw[i]!;
          if (d === QUOTE) break;
          if (d < 0x20) return undefined;
          {
            escaped = true;
            const e = raw[i + 1];
            if (e === 0x75) {
              // \uXXXX
              for (let k = i + 2; k < i + 6; k++) {
                const h = raw[k];
                if (h === undefined || !((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66)))
                  return undefined;
              }
              i += 6;
              continue;
            }
            if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74)
              return undefined;
            i += 2;
          }
        }
        const valueEnd = i++;
        if (kind === INTEGER || kind === FLAG) {
          if (valueEnd !== valueStart) return undefined; // only "" is allowed
        } else if (kind !== 0) {
          const slot = extractSlot[field]!;
          if (kind === IDENTITY || kind === TIMESTAMP || slot >= 0) {
            if (escaped) return undefined;
            const value = raw.toString('utf8', valueStart, valueEnd);
            if (kind === IDENTITY && value.length === 0) return undefined;
            if (kind === TIMESTAMP && !UTC_TIMESTAMP.test(value)) return undefined;
            if (slot >= 0) out[extract[slot]!] = value;
          }
        }
      } else if (c === 0x6e) {
        // null
        if (raw[i + 1] !== 0x75 || raw[i + 2] !== 0x6c || raw[i + 3] !== 0x6c) return undefined;
        if (kind === IDENTITY || kind === TIMESTAMP) return undefined;
        i += 4;
      } else if (c === 0x74) {
        if (raw[i + 1] !== 0x72 || raw[i + 2] !== 0x75 || raw[i + 3] !== 0x65) return undefined;
        if (kind !== 0 && kind !== FLAG) return undefined;
        i += 4;
      } else if (c === 0x66) {
        if (raw[i + 1] !== 0x61 || raw[i + 2] !== 0x6c || raw[i + 3] !== 0x73 || raw[i + 4] !== 0x65) return undefined;
        if (kind !== 0 && kind !== FLAG) return undefined;
        i += 5;
      } else if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) {
        if (kind !== 0 && kind !== INTEGER) return undefined;
        // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        const numberStart = i;
        let plain = true;
        if (raw[i] === 0x2d) i++;
        let d = raw[i];
        if (d === 0x30) i++;
        else if (d !== undefined && d >= 0x31 && d <= 0x39) {
          do d = raw[++i];
          while (d !== undefined && d >= 0x30 && d <= 0x39);
        } else return undefined;
        if (raw[i] === 0x2e) {
          plain = false;
          d = raw[++i];
          if (d === undefined || d < 0x30 || d > 0x39) return undefined;
          do d = raw[++i];
          while (d !== undefined && d >= 0x30 && d <= 0x39);
        }
        if (raw[i] === 0x65 || raw[i] === 0x45) {
          plain = false;
          i++;
          if (raw[i] === 0x2b || raw[i] === 0x2d) i++;
          d = raw[i];
          if (d === undefined || d < 0x30 || d > 0x39) return undefined;
          do d = raw[++i];
          while (d !== undefined && d >= 0x30 && d <= 0x39);
        }
        // Up to 15 digits without fraction or exponent is surely a finite integer.
        if (kind === INTEGER && (!plain || i - numberStart > 15) && !Number.isInteger(Number(raw.toString('latin1', numberStart, i)))) {
          return undefined;
        }
      } else {
        return undefined; // objects, arrays, whitespace, anything else
      }
      const sep = raw[i];
      if (sep === COMMA) {
        i++;
        if (i >= n - 1) return undefined; // `,}`
      } else if (i !== n - 1) {
        return undefined;
      }
    }
    for (const r of required) if (seen[r] !== generation) return undefined;
    // Bytes that are not UTF-8 are refused by validateAlert (JSON.parse would see U+FFFD).
    if (!isUtf8(raw)) return undefined;
    return out;
  };
}
