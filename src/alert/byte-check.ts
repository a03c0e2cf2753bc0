/**
 * A check of an alert's raw bytes that needs no `JSON.parse` (parsing every alert into an object
 * was the largest single cost of `pull`, with the garbage it leaves; BENCHMARKS.md). It accepts
 * only compact alerts (as the array splitter hands them on) whose every declared field surely
 * passes the precheck (./precheck.ts), checks the JSON grammar of everything else (nested values
 * of fields it does not know included), and hands back only the few string fields the caller
 * asks for. Anything else (whitespace, escapes in a field we must read, a repeated declared key,
 * nesting deeper than MAX_DEPTH...) makes it answer "don't know", and the caller then runs the
 * full path: JSON.parse, precheck and zod, whose answer stands. Like the precheck it may be
 * stricter than the schema, never looser. Pure functions, no I/O.
 */
import { isUtf8 } from 'node:buffer';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from '../json/bytes.js';
import { UTC_TIMESTAMP, type FieldKind } from './precheck.js';

/** The values of the fields asked for (missing or `null` → undefined). */
export type CheckedFields = Record<string, string | undefined>;

/**
 * A compiled byte check. Called with an alert's bytes, it answers for exactly those bytes. `at`
 * answers for the alert that opens at `buf[start]` inside a larger buffer (a network chunk, so
 * the splitter need not find the alert's end first: one pass finds and checks it); when it
 * decides, `end` is the index just after the alert's closing brace.
 */
export interface ByteCheck {
  (raw: Buffer): CheckedFields | undefined;
  at(buf: Buffer, start: number): CheckedFields | undefined;
  readonly end: number;
  /**
   * After `at` answered "don't know": true when it ran into the end of `buf` (the alert may go on in
   * the next chunk and be decided once whole). A hint for the splitter's speed only: either answer
   * is safe, the full path stands behind every "don't know".
   */
  readonly cut: boolean;
}

const KIND_CODE: Record<FieldKind, number> = {
  identity: 1,
  timestamp: 2,
  text: 3,
  integer: 4,
  flag: 5,
  number: 6,
  strings: 7,
  array: 8,
  typedObjects: 9,
  objects: 10,
  account: 11,
};
const UNKNOWN = 0;
const IDENTITY = 1;
const TIMESTAMP = 2;
const TEXT = 3;
const INTEGER = 4;
const FLAG = 5;
const NUMBER = 6;
const STRINGS = 7;
const ARRAY = 8;
const TYPED_OBJECTS = 9;
const OBJECTS = 10;
const ACCOUNT = 11;

// The scanners of JSON values below are generic, yet live here: moved to a module of their own
// (json/), the checks measured 10–30 % slower in process (most likely the checks V8 makes on
// every use of an imported binding, on the hottest path of a pull).

/** Nesting beyond this is left to JSON.parse (real alerts nest 3–4 levels: evidence's own objects). */
const MAX_DEPTH = 64;

/** Bytes that end a plain run inside a JSON string: quote, backslash and control characters. */
const STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STOP[c] = 1;
STOP[QUOTE] = 1;
STOP[BACKSLASH] = 1;

const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/** `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` (and `\u`, handled apart). */
const SHORT_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SHORT_ESCAPE[c.charCodeAt(0)] = 1;

/** What {@link byteAt} answers past the end: no byte. */
const NONE = -1;

/**
 * `raw[i]`, or NONE past the end. An alert cut by a network chunk's end runs every scanner off
 * the end of its buffer sooner or later, and each plain read that does so throws V8's optimised
 * code away (a deoptimisation, then a warm-up in the slow tiers again, once per reading site):
 * checking 8 cold MDE pages in 16 KiB chunks took 477 ms with plain reads, 368 ms with this
 * (BENCHMARKS.md).
 */
function byteAt(raw: Buffer, i: number, n: number): number {
  if (i < n) return raw[i]!;
  ranOff = true;
  return NONE;
}

/**
 * Set when a scanner reached the end of its buffer before deciding (see ByteCheck.cut). Set in
 * place, never through a helper: a call on a path that is rare until the chunk ends would
 * deoptimise the scanner the first time it is taken (no type feedback for it).
 */
let ranOff = false;

/** Set by {@link scanString}: whether the string it last scanned had an escape. */
let lastHadEscape = false;
/** Set by {@link scanNumber}: whether the number it last scanned had a fraction or an exponent. */
let lastWasPlain = true;

/** `raw[i]` opens a string: returns the index after its closing quote, or -1 (not valid JSON). */
function scanString(raw: Buffer, i: number): number {
  const n = raw.length;
  lastHadEscape = false;
  i++;
  for (;;) {
    while (i < n && STOP[raw[i]!] === 0) i++;
    if (i >= n) {
      ranOff = true;
      return -1;
    }
    const d = raw[i]!;
    if (d === QUOTE) return i + 1;
    if (d < 0x20) return -1;
    lastHadEscape = true;
    if (i + 1 >= n) {
      ranOff = true;
      return -1;
    }
    const e = raw[i + 1]!;
    if (e === 0x75) {
      // \uXXXX
      if (i + 5 >= n) {
        ranOff = true;
        return -1;
      }
      if (HEX[raw[i + 2]!] === 0 || HEX[raw[i + 3]!] === 0 || HEX[raw[i + 4]!] === 0 || HEX[raw[i + 5]!] === 0) return -1;
      i += 6;
    } else if (SHORT_ESCAPE[e] === 1) {
      i += 2;
    } else return -1;
  }
}

/** `raw[i]` starts a number: returns the index after it, or -1. -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
function scanNumber(raw: Buffer, i: number): number {
  const n = raw.length;
  lastWasPlain = true;
  if (raw[i] === 0x2d) i++;
  let d = byteAt(raw, i, n);
  if (d === 0x30) i++;
  else if (d >= 0x31 && d <= 0x39) {
    do d = byteAt(raw, ++i, n);
    while (d >= 0x30 && d <= 0x39);
  } else return -1;
  d = byteAt(raw, i, n);
  if (d === 0x2e) {
    lastWasPlain = false;
    d = byteAt(raw, ++i, n);
    if (d < 0x30 || d > 0x39) return -1;
    do d = byteAt(raw, ++i, n);
    while (d >= 0x30 && d <= 0x39);
  }
  if (d === 0x65 || d === 0x45) {
    lastWasPlain = false;
    d = byteAt(raw, ++i, n);
    if (d === 0x2b || d === 0x2d) d = byteAt(raw, ++i, n);
    if (d < 0x30 || d > 0x39) return -1;
    do d = byteAt(raw, ++i, n);
    while (d >= 0x30 && d <= 0x39);
  }
  return i;
}

/** `null`, `true` or `false` at `i`: the index after it, or -1. */
function scanLiteral(raw: Buffer, i: number): number {
  const c = raw[i];
  // Bounds first: a read past the end would cost a deoptimisation (see byteAt).
  if (i + 5 > raw.length) {
    if (i + 4 === raw.length && c !== 0x66) return literal4(raw, i, c);
    ranOff = true;
    return -1;
  }
  return literal4(raw, i, c);
}

function literal4(raw: Buffer, i: number, c: number | undefined): number {
  if (c === 0x6e) return raw[i + 1] === 0x75 && raw[i + 2] === 0x6c && raw[i + 3] === 0x6c ? i + 4 : -1;
  if (c === 0x74) return raw[i + 1] === 0x72 && raw[i + 2] === 0x75 && raw[i + 3] === 0x65 ? i + 4 : -1;
  if (c === 0x66) return raw[i + 1] === 0x61 && raw[i + 2] === 0x6c && raw[i + 3] === 0x73 && raw[i + 4] === 0x65 ? i + 5 : -1;
  return -1;
}

/** Any compact JSON value at `i`: the index after it, or -1. */
function scanValue(raw: Buffer, i: number, depth: number): number {
  const c = byteAt(raw, i, raw.length);
  if (c === QUOTE) return scanString(raw, i);
  if (c === OPEN_BRACE) return scanObject(raw, i, depth + 1, undefined);
  if (c === OPEN_BRACKET) return scanArray(raw, i, depth + 1, scanValue);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return scanNumber(raw, i);
  return c === NONE ? -1 : scanLiteral(raw, i);
}

type ElementScan = (raw: Buffer, i: number, depth: number) => number;

/** An array at `i` whose every element `element` accepts: the index after it, or -1. */
function scanArray(raw: Buffer, i: number, depth: number, element: ElementScan): number {
  const n = raw.length;
  if (depth > MAX_DEPTH || raw[i] !== OPEN_BRACKET) return -1;
  i++;
  if (byteAt(raw, i, n) === CLOSE_BRACKET) return i + 1;
  for (;;) {
    i = element(raw, i, depth);
    if (i < 0) return -1;
    const sep = byteAt(raw, i, n);
    if (sep === CLOSE_BRACKET) return i + 1;
    if (sep !== COMMA) return -1;
    i++;
  }
}

/** The members of a nested object whose values are checked: name bytes, and whether null is allowed. */
interface TypedMembers {
  names: Buffer[];
  nullable: boolean[];
}

function sameBytes(raw: Buffer, start: number, end: number, name: Buffer): boolean {
  if (end - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (raw[start + k] !== name[k]) return false;
  return true;
}

/**
 * An object at `i`: the index after it, or -1. The members `typed` names must hold a string
 * (escapes are fine: nothing here reads it) or, where allowed, null. A repeated member is checked
 * each time, so whichever JSON.parse keeps was checked.
 */
function scanObject(raw: Buffer, i: number, depth: number, typed: TypedMembers | undefined): number {
  const n = raw.length;
  if (depth > MAX_DEPTH || byteAt(raw, i, n) !== OPEN_BRACE) return -1;
  i++;
  if (byteAt(raw, i, n) === CLOSE_BRACE) return i + 1;
  for (;;) {
    if (byteAt(raw, i, n) !== QUOTE) return -1;
    const keyStart = i + 1;
    const keyEnd = scanString(raw, i);
    if (keyEnd < 0 || byteAt(raw, keyEnd, n) !== COLON) return -1;
    let member = -1;
    if (typed !== undefined) {
      // A key with escapes could spell a typed name: let JSON.parse say what it is.
      if (lastHadEscape) return -1;
      for (let m = 0; m < typed.names.length; m++) if (sameBytes(raw, keyStart, keyEnd - 1, typed.names[m]!)) member = m;
    }
    i = keyEnd + 1;
    if (member >= 0) {
      const c = byteAt(raw, i, n);
      if (c === QUOTE) i = scanString(raw, i);
      else if (typed!.nullable[member] && c === 0x6e) i = scanLiteral(raw, i);
      else return -1;
    } else {
      i = scanValue(raw, i, depth);
    }
    if (i < 0) return -1;
    const sep = byteAt(raw, i, n);
    if (sep === CLOSE_BRACE) return i + 1;
    if (sep !== COMMA) return -1;
    i++;
  }
}

function typedMembers(members: Record<string, 'string' | 'text'>): TypedMembers {
  const entries = Object.entries(members);
  return { names: entries.map(([name]) => Buffer.from(name, 'utf8')), nullable: entries.map(([, kind]) => kind === 'text') };
}

/** Graph evidence: `@odata.type` names the kind of evidence and, when present, is a string. */
const EVIDENCE_MEMBERS = typedMembers({ '@odata.type': 'string' });
const ACCOUNT_MEMBERS = typedMembers({ userName: 'text', domainName: 'text' });

const scanAnyObject: ElementScan = (raw, i, depth) => scanObject(raw, i, depth + 1, undefined);
const scanTypedObject: ElementScan = (raw, i, depth) => scanObject(raw, i, depth + 1, EVIDENCE_MEMBERS);
const scanStringElement: ElementScan = (raw, i) => (byteAt(raw, i, raw.length) === QUOTE ? scanString(raw, i) : -1);

/** A declared field's array or object value at `i`: the index after it, or -1 when the kind does not allow it. */
function scanNested(kind: number, raw: Buffer, i: number): number {
  switch (kind) {
    case UNKNOWN:
      return scanValue(raw, i, 0);
    case STRINGS:
      return scanArray(raw, i, 1, scanStringElement);
    case ARRAY:
      return scanArray(raw, i, 1, scanValue);
    case TYPED_OBJECTS:
      return scanArray(raw, i, 1, scanTypedObject);
    case OBJECTS:
      return byteAt(raw, i, raw.length) === OPEN_BRACE ? scanObject(raw, i, 1, undefined) : scanArray(raw, i, 1, scanAnyObject);
    case ACCOUNT:
      return scanObject(raw, i, 1, ACCOUNT_MEMBERS);
    default:
      return -1;
  }
}

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
    for (const i of candidates) if (sameBytes(raw, start, end, nameBytes[i]!)) return i;
    return -1;
  }

  let end = -1;

  function at(raw: Buffer, start: number): CheckedFields | undefined {
    const n = raw.length;
    ranOff = false;
    if (raw[start] !== OPEN_BRACE) return undefined;
    if (++generation === 0xffffffff) {
      seen.fill(0);
      generation = 1;
    }
    const out: CheckedFields = {};
    for (const field of extract) out[field] = undefined;
    let i = start + 1;
    let previous = 0;
    // `{}` is no alert (every table has required fields): the full path says what is missing.
    if (byteAt(raw, i, n) === CLOSE_BRACE) return undefined;
    for (;;) {
      // key
      if (byteAt(raw, i, n) !== QUOTE) return undefined;
      const keyStart = ++i;
      // Answers repeat one key order: try the field that followed the previous key last time.
      let field = -1;
      const guess = next[previous]!;
      if (guess >= 0) {
        const b = nameBytes[guess]!;
        const keyEnd = keyStart + b.length;
        if (keyEnd < n && raw[keyEnd] === QUOTE) {
          let k = 0;
          while (k < b.length && b[k] === raw[keyStart + k]) k++;
          if (k === b.length) {
            field = guess;
            i = keyEnd;
          }
        }
      }
      if (field < 0) {
        while (i < n && STOP[raw[i]!] === 0) i++;
        // escapes or control characters in a key: let JSON.parse decide what the key is
        if (i >= n) ranOff = true;
        if (i >= n || raw[i] !== QUOTE) return undefined;
        field = fieldAt(raw, keyStart, i);
        if (field >= 0) next[previous] = field;
      }
      i++;
      if (byteAt(raw, i++, n) !== COLON) return undefined;
      if (field >= 0) previous = field + 1;
      let kind = UNKNOWN;
      if (field >= 0) {
        if (seen[field] === generation) return undefined; // a repeated key: JSON.parse keeps the last
        seen[field] = generation;
        kind = kindOf[field]!;
      }
      // value
      const c = byteAt(raw, i, n);
      if (c === QUOTE) {
        const valueStart = i + 1;
        i = scanString(raw, i);
        if (i < 0) return undefined;
        const valueEnd = i - 1;
        if (kind === INTEGER || kind === FLAG) {
          if (valueEnd !== valueStart) return undefined; // only "" is allowed
        } else if (kind === IDENTITY || kind === TIMESTAMP || kind === TEXT) {
          const slot = extractSlot[field]!;
          if (kind !== TEXT || slot >= 0) {
            if (lastHadEscape) return undefined;
            const value = raw.toString('utf8', valueStart, valueEnd);
            if (kind === IDENTITY && value.length === 0) return undefined;
            if (kind === TIMESTAMP && !UTC_TIMESTAMP.test(value)) return undefined;
            if (slot >= 0) out[extract[slot]!] = value;
          }
        } else if (kind !== UNKNOWN) {
          return undefined; // a string where the kind wants a number, an array or an object
        }
      } else if (c === 0x6e || c === 0x74 || c === 0x66) {
        // null, true, false
        i = scanLiteral(raw, i);
        if (i < 0) return undefined;
        if (c === 0x6e) {
          if (kind === IDENTITY || kind === TIMESTAMP) return undefined;
        } else if (kind !== UNKNOWN && kind !== FLAG) return undefined;
      } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        if (kind !== UNKNOWN && kind !== INTEGER && kind !== NUMBER) return undefined;
        const numberStart = i;
        i = scanNumber(raw, i);
        if (i < 0) return undefined;
        // Up to 15 digits without fraction or exponent is surely a finite integer.
        if (kind !== UNKNOWN && (!lastWasPlain || i - numberStart > 15)) {
          const value = Number(raw.toString('latin1', numberStart, i));
          if (kind === INTEGER ? !Number.isInteger(value) : !Number.isFinite(value)) return undefined;
        }
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        i = scanNested(kind, raw, i);
        if (i < 0) return undefined;
      } else {
        return undefined; // whitespace, the chunk's end, anything else
      }
      const sep = byteAt(raw, i, n);
      if (sep === CLOSE_BRACE) break;
      if (sep !== COMMA) return undefined;
      i++;
    }
    for (const r of required) if (seen[r] !== generation) return undefined;
    // Bytes that are not UTF-8 are refused by validateAlert (JSON.parse would see U+FFFD).
    if (!isUtf8(start === 0 && i + 1 === n ? raw : raw.subarray(start, i + 1))) return undefined;
    end = i + 1;
    return out;
  }

  const check = (raw: Buffer): CheckedFields | undefined => {
    const fields = at(raw, 0);
    return fields !== undefined && end === raw.length ? fields : undefined;
  };
  return Object.defineProperties(check, {
    at: { value: at },
    end: { get: () => end },
    cut: { get: () => ranOff },
  }) as ByteCheck;
}
