/**
 * Splits one top-level JSON array, arriving in arbitrary chunks, into the bytes of its elements.
 *
 * The SIEM API answers with a single array that can hold a million alerts, and we must pass each
 * alert on byte-for-byte (7-digit fractions and integers beyond 2^53 untouched), so we cut the
 * alert's own bytes out of the stream instead of parsing and re-serialising. Only the array's
 * structure is checked here; each element's grammar is left to `JSON.parse` downstream.
 *
 * Scanning is byte-wise, which is safe for UTF-8: bytes of multi-byte sequences are all >= 0x80,
 * so they can never be mistaken for a quote, bracket or backslash.
 */
import { DataError } from '../errors.js';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE, QUOTED_CHARS, quoteStart } from './bytes.js';

/**
 * Checks one element where it starts, inside the chunk (the alert byte check): when it decides,
 * it has also found the element's end, so the splitter hands the element on without scanning it
 * itself. Structural, so that this module needs nothing from the alert layer.
 */
export interface ElementCheck<F> {
  /** The element that opens at `chunk[start]` and ends inside `chunk`: what it found, or undefined for "don't know". */
  at(chunk: Buffer, start: number): F | undefined;
  /** After `at` decided: the index just after the element. */
  readonly end: number;
  /**
   * After `at` answered "don't know": whether only the chunk's end stopped it. Such an element is
   * carried over and given to `at` again, whole, at the start of the next chunk.
   */
  readonly cut: boolean;
}

/** Limits that keep memory bounded whatever the server sends. */
export interface JsonArraySplitterOptions<F = unknown> {
  /**
   * Tried on each object element that starts in a chunk (see ElementCheck). Its verdicts go to
   * the `checked` array a caller passes to push (one entry per element, undefined where it did
   * not decide or was not tried): the caller then need not check the element again.
   */
  check?: ElementCheck<F>;
  /** Deepest nesting allowed inside one element (real alerts are flat: depth 1). */
  maxDepth?: number;
  /** Largest element, in bytes, before we call the answer broken (real alerts are a few KiB). */
  maxElementBytes?: number;
}

const DEFAULT_MAX_DEPTH = 512;
/**
 * Where an element cut by a chunk's end is joined to the start of the next chunk, for the check to
 * see it whole (see `carried`). One for the process: it is only used inside one synchronous push,
 * and what is handed on is copied out of it. Reused, so joining allocates nothing: a new buffer for
 * every chunk measured slower than no carry at all (garbage collection of ~300 MB on a Graph pull).
 */
const SCRATCH = Buffer.allocUnsafe(256 * 1024);
/** The most an element cut by a chunk's end may hold to be carried; a larger one is scanned here, piece by piece. */
const MAX_CARRY_BYTES = 128 * 1024;
const DEFAULT_MAX_ELEMENT_BYTES = 64 * 1024 * 1024; // 64 MiB

// Byte classes, looked up once per structural byte.
const C_OTHER = 0; // literal characters: digits, letters, '-', '+', '.', and all non-ASCII bytes
const C_WS = 1;
const C_QUOTE = 2;
const C_OPEN = 3;
const C_CLOSE = 4;
const C_COMMA = 5;
const C_COLON = 6;

const CLASS = new Uint8Array(256);
for (const b of [0x20, 0x09, 0x0a, 0x0d]) CLASS[b] = C_WS;
CLASS[0x22] = C_QUOTE;
CLASS[OPEN_BRACE] = C_OPEN;
CLASS[0x5b] = C_OPEN;
CLASS[CLOSE_BRACE] = C_CLOSE;
CLASS[0x5d] = C_CLOSE;
CLASS[COMMA] = C_COMMA;
CLASS[COLON] = C_COLON;

const BOM = [0xef, 0xbb, 0xbf];

// Where we are in the top-level array.
const S_START = 0; // before '[' (optional BOM and whitespace)
const S_FIRST = 1; // after '[': an element or ']'
const S_NEXT = 2; // after ',': an element
const S_AFTER = 3; // after an element: ',' or ']'
const S_CONTAINER = 4; // inside an object/array element (or a top-level string when depth is 0)
const S_SCALAR = 5; // inside a bare top-level number/true/false/null
const S_DONE = 6; // after the closing ']': only whitespace may follow
const S_NOT_ARRAY = 7; // collecting the first bytes of a non-array answer for the error message
const S_FAILED = 8;

/**
 * A byte-level state machine over one top-level JSON array.
 *
 * `push()` returns every element completed by the chunk, each a Buffer with the whitespace between
 * tokens removed (so an element always fits on one NDJSON line): a view of the chunk when the
 * element came compact and in one piece, else a new Buffer joining its pieces. Errors are
 * {@link DataError}s with code `NOT_AN_ARRAY`, `MALFORMED`, `TOO_LARGE`, `TRUNCATED` or
 * `TRAILING_DATA`. When a chunk completes elements before an error, those elements are returned
 * and the error is thrown by the next call, so no complete alert is lost.
 */
export class JsonArraySplitter<F = unknown> {
  private readonly maxDepth: number;
  private readonly maxElementBytes: number;
  private readonly check: ElementCheck<F> | undefined;
  /** Where the verdicts of the current push go, parallel to its elements (see the `check` option). */
  private checked: (F | undefined)[] | undefined;

  private state = S_START;
  private failure: DataError | undefined;
  /** Bytes consumed by earlier chunks, for error offsets. */
  private offset = 0;
  private elements = 0;
  /** How many bytes of a UTF-8 byte order mark opened the answer. */
  private bomBytes = 0;

  // The element in progress: slices of the chunks seen so far, joined (copied) when it completes
  // only if there are several.
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Open brackets of the element in progress (only the first maxDepth levels). */
  private readonly stack: Uint8Array;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The previous chunk ended in whitespace inside the element. */
  private endedInSpace = false;
  /**
   * The opening bytes of an element the check ran out of bytes on (ElementCheck.cut). The next
   * push joins them to the start of its chunk in SCRATCH and asks the check again, so the element
   * is checked whole and once. Without this the splitter scanned a cut element itself and the
   * check read it again afterwards; on Graph pages, where one alert in four is cut by a 16 KiB TLS
   * chunk, that scan was ~7 % of a pull's CPU.
   */
  private carried: Buffer | undefined;

  /** The first bytes of an answer that is not an array, for the error message. */
  private notArrayPrefix: Buffer = Buffer.alloc(0);

  constructor(options: JsonArraySplitterOptions<F> = {}) {
    this.check = options.check;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxElementBytes = options.maxElementBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
    this.stack = new Uint8Array(this.maxDepth);
  }

  /** How many elements have been returned so far. */
  get count(): number {
    return this.elements;
  }

  /**
   * Feed the next chunk of the answer; returns the elements it completed, in order. `checked`,
   * when given, gets the element check's verdict on each (see JsonArraySplitterOptions.check).
   */
  push(chunk: Buffer, checked?: (F | undefined)[]): Buffer[] {
    const out: Buffer[] = [];
    this.run(chunk, 0, out, false, checked);
    this.offset += chunk.length;
    return out;
  }

  /**
   * For an array inside a larger document (an OData page's `value`), so that its bytes are
   * scanned once, by this splitter alone: scans `chunk` from `from` (the `[` on the first call),
   * appends the elements it completes to `out`, and returns the index just after the closing `]`,
   * or -1 when the array goes on in the next chunk. Nothing after the `]` is looked at.
   */
  pushEmbedded(chunk: Buffer, from: number, out: Buffer[], checked?: (F | undefined)[]): number {
    const before = out.length;
    // Byte offsets in messages count from the array's `[`.
    this.offset -= from;
    const stop = this.run(chunk, from, out, true, checked);
    this.offset += stop < 0 ? chunk.length : stop;
    // Elements completed before a failure are handed on; the failure comes with the next call or end().
    if (this.failure !== undefined && out.length > before) return -1;
    return stop;
  }

  /** Scans from `from`; returns where an embedded array ended (see pushEmbedded), else -1. */
  private run(chunk: Buffer, from: number, out: Buffer[], embedded: boolean, checked: (F | undefined)[] | undefined): number {
    if (this.failure !== undefined) throw this.failure;
    const before = out.length;
    this.checked = checked;
    try {
      const carried = this.carried;
      if (carried !== undefined) {
        this.carried = undefined;
        from = this.finishCarried(carried, chunk, from, out, embedded);
      }
      return this.scan(chunk, out, from, embedded);
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      this.state = S_FAILED;
      this.failure = error;
      this.parts = [];
      if (out.length === before) throw error;
      return -1;
    }
  }

  /**
   * The element in `carried` goes on in `chunk` (from `from`): checks it joined to the chunk's start,
   * handing it on (copied out of SCRATCH) when the check decides, and returns where scanning of
   * `chunk` goes on. When the check still does not decide, the carried bytes are scanned here as an
   * earlier chunk would have been, and the chunk from `from` on after them.
   */
  private finishCarried(carried: Buffer, chunk: Buffer, from: number, out: Buffer[], embedded: boolean): number {
    const check = this.check!;
    const c = carried.length;
    const m = Math.min(chunk.length - from, SCRATCH.length - c);
    carried.copy(SCRATCH, 0);
    chunk.copy(SCRATCH, c, from, from + m);
    const verdicts = this.checked;
    const verdict = verdicts === undefined ? undefined : check.at(SCRATCH.subarray(0, c + m), 0);
    if (verdict !== undefined && verdicts !== undefined && check.end <= this.maxElementBytes) {
      const end = check.end;
      out.push(Buffer.from(SCRATCH.subarray(0, end)));
      verdicts.push(verdict);
      this.elements++;
      this.state = S_AFTER;
      return from + end - c;
    }
    // Scanned here from its `{`, as if it had been left to the splitter where it opened (offsets in
    // messages: the carried bytes came just before this chunk).
    this.offset -= c;
    this.stack[0] = OPEN_BRACE;
    this.depth = 1;
    this.state = S_CONTAINER;
    this.addPart(carried, 0, 1);
    this.scan(carried, out, 1, embedded);
    this.offset += c;
    return from;
  }

  /** The answer ended: throws unless it was exactly one complete array. */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    switch (this.state) {
      case S_DONE:
        return;
      case S_START:
        throw this.fail(
          'NOT_AN_ARRAY',
          this.offset === 0
            ? 'expected a JSON array of alerts, got an empty answer'
            : 'expected a JSON array of alerts, got only whitespace',
        );
      case S_NOT_ARRAY:
        throw this.notAnArray();
      default:
        throw this.fail(
          'TRUNCATED',
          `the JSON array of alerts ended early, after ${this.offset} bytes and ${this.elements} complete alerts (connection cut?)`,
        );
    }
  }

  private scan(chunk: Buffer, out: Buffer[], from: number, embedded: boolean): number {
    const n = chunk.length;
    let i = from;
    // Start of the current element's bytes in this chunk not yet added to `parts`.
    let runStart = from;

    while (i < n) {
      switch (this.state) {
        case S_CONTAINER: {
          i = this.scanContainer(chunk, i, runStart, out);
          runStart = i;
          break;
        }

        case S_SCALAR: {
          while (i < n && CLASS[chunk[i]!] === C_OTHER) i++;
          this.addPart(chunk, runStart, i);
          if (i < n) this.emit(out, S_AFTER);
          break;
        }

        case S_FIRST:
        case S_NEXT: {
          const c = chunk[i]!;
          const cls = CLASS[c];
          if (cls === C_WS) {
            i++;
          } else if (cls === C_OPEN) {
            if (c === OPEN_BRACE && this.checked !== undefined && this.check !== undefined) {
              // One pass: the check walks the element and finds its end. One the chunk's end cut
              // is carried over to the next chunk; one it cannot decide is scanned below.
              const verdict = this.check.at(chunk, i);
              if (verdict !== undefined && this.check.end - i <= this.maxElementBytes) {
                const end = this.check.end;
                out.push(chunk.subarray(i, end));
                this.checked.push(verdict);
                this.elements++;
                this.state = S_AFTER;
                i = end;
                break;
              }
              if (verdict === undefined && this.check.cut && n - i <= MAX_CARRY_BYTES) {
                this.carried = chunk.subarray(i);
                i = n;
                break;
              }
            }
            this.stack[0] = c;
            this.depth = 1;
            this.state = S_CONTAINER;
            runStart = i;
            i++;
          } else if (cls === C_QUOTE) {
            this.depth = 0;
            this.inString = true;
            this.state = S_CONTAINER;
            runStart = i;
            i++;
          } else if (cls === C_OTHER) {
            this.state = S_SCALAR;
            runStart = i;
          } else if (c === CLOSE_BRACKET && this.state === S_FIRST) {
            this.state = S_DONE;
            i++;
          } else {
            throw this.malformed(chunk, i, this.state === S_FIRST ? 'an alert or "]"' : 'an alert after ","');
          }
          break;
        }

        case S_AFTER: {
          const c = chunk[i]!;
          if (CLASS[c] === C_WS) i++;
          else if (c === COMMA) {
            this.state = S_NEXT;
            i++;
          } else if (c === CLOSE_BRACKET) {
            this.state = S_DONE;
            i++;
          } else throw this.malformed(chunk, i, '"," or "]" after an alert');
          break;
        }

        case S_DONE: {
          if (embedded) return i;
          if (CLASS[chunk[i]!] === C_WS) i++;
          else {
            throw this.fail(
              'TRAILING_DATA',
              `unexpected data after the JSON array of alerts at byte ${this.offset + i}: ${quoteStart(chunk.subarray(i))}`,
            );
          }
          break;
        }

        case S_START: {
          const c = chunk[i]!;
          const at = this.offset + i;
          if (at === this.bomBytes && at < BOM.length && c === BOM[at]) {
            this.bomBytes++;
            i++;
          } else if (this.bomBytes > 0 && this.bomBytes < BOM.length) {
            this.state = S_NOT_ARRAY; // a BOM cut short is not a BOM
          } else if (CLASS[c] === C_WS) {
            i++;
          } else if (c === OPEN_BRACKET) {
            this.state = S_FIRST;
            i++;
          } else {
            this.state = S_NOT_ARRAY;
          }
          break;
        }

        case S_NOT_ARRAY: {
          this.notArrayPrefix = Buffer.concat([this.notArrayPrefix, chunk.subarray(i, i + 4 * QUOTED_CHARS)]);
          if (this.notArrayPrefix.length >= 4 * QUOTED_CHARS) throw this.notAnArray();
          i = n;
          break;
        }

        default:
          throw new Error(`JsonArraySplitter: unexpected state ${this.state}`);
      }
    }
    // An element that opened on the chunk's last byte has not been scanned yet.
    if (this.state === S_CONTAINER) this.addPart(chunk, runStart, n);
    return embedded && this.state === S_DONE ? n : -1;
  }

  /**
   * Scans inside an object/array element (or a top-level string) from `i`, adding its bytes to
   * `parts` as it goes. Returns where scanning stopped: the end of the chunk, or just after the
   * element (then emitted).
   */
  private scanContainer(chunk: Buffer, i: number, runStart: number, out: Buffer[]): number {
    const n = chunk.length;
    const stack = this.stack;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;

    if (this.endedInSpace) {
      this.endedInSpace = false;
      if (CLASS[chunk[i]!] === C_OTHER && CLASS[this.lastByte()] === C_OTHER) {
        throw this.malformed(chunk, i, '"," between two values');
      }
    }

    while (i < n) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        // Alert strings are short (names, hashes, paths): measured, this plain loop is as fast as
        // Buffer#indexOf (~750 MB/s overall on compact alerts) and needs no backslash bookkeeping.
        let c = chunk[i]!;
        while (c !== QUOTE && c !== BACKSLASH) {
          if (++i === n) break;
          c = chunk[i]!;
        }
        if (i === n) break;
        i++;
        if (c === BACKSLASH) {
          escaped = true;
          continue;
        }
        inString = false;
        if (depth === 0) return this.finishElement(chunk, runStart, i, out); // a top-level string
        continue;
      }

      const c = chunk[i]!;
      switch (CLASS[c]) {
        case C_QUOTE:
          inString = true;
          i++;
          break;
        case C_OPEN:
          if (depth >= this.maxDepth) {
            throw this.fail('MALFORMED', `an alert at byte ${this.offset + i} is nested more than ${this.maxDepth} levels deep`);
          }
          stack[depth++] = c;
          i++;
          break;
        case C_CLOSE: {
          // '[' + 2 = ']' and '{' + 2 = '}' in ASCII.
          if (stack[depth - 1]! + 2 !== c) throw this.malformed(chunk, i, 'a matching bracket');
          depth--;
          i++;
          if (depth === 0) return this.finishElement(chunk, runStart, i, out);
          break;
        }
        case C_WS: {
          this.addPart(chunk, runStart, i);
          const afterLiteral = CLASS[this.lastByte()] === C_OTHER;
          do i++;
          while (i < n && CLASS[chunk[i]!] === C_WS);
          if (i === n) this.endedInSpace = true;
          // Removing the space in `[1 2]` would turn invalid JSON into a different valid value.
          if (i < n && afterLiteral && CLASS[chunk[i]!] === C_OTHER) {
            throw this.malformed(chunk, i, '"," between two values');
          }
          runStart = i;
          break;
        }
        default:
          i++;
      }
    }

    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.addPart(chunk, runStart, n);
    return n;
  }

  /** The element in progress ended just before `end`: hand it on; scanning goes on from `end`. */
  private finishElement(chunk: Buffer, runStart: number, end: number, out: Buffer[]): number {
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.addPart(chunk, runStart, end);
    this.emit(out, S_AFTER);
    return end;
  }

  private addPart(chunk: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.parts.push(chunk.subarray(start, end));
    this.partsBytes += end - start;
    if (this.partsBytes > this.maxElementBytes) {
      throw this.fail(
        'TOO_LARGE',
        `alert number ${this.elements + 1} is larger than ${this.maxElementBytes} bytes; the answer is not the documented alert array`,
      );
    }
  }

  /** The last significant byte added to the element in progress. */
  private lastByte(): number {
    const last = this.parts[this.parts.length - 1];
    return last === undefined ? QUOTE : last[last.length - 1]!;
  }

  private emit(out: Buffer[], next: number): void {
    // An element that came in one piece (compact JSON within one network chunk, the common case)
    // is handed on as a view of the chunk: no copy. It pins the chunk only until the sink has
    // written it, which is at most one batch later; pieces from several chunks are joined.
    out.push(this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partsBytes));
    this.checked?.push(undefined);
    this.parts = [];
    this.partsBytes = 0;
    this.elements++;
    this.state = next;
  }

  private notAnArray(): DataError {
    return this.fail('NOT_AN_ARRAY', `expected a JSON array of alerts, got ${quoteStart(this.notArrayPrefix)}`);
  }

  private malformed(chunk: Buffer, i: number, expected: string): DataError {
    return this.fail(
      'MALFORMED',
      `malformed JSON array of alerts at byte ${this.offset + i}: expected ${expected}, got ${quoteStart(chunk.subarray(i))}`,
    );
  }

  /**
   * A broken document (not an array, cut off, malformed, trailing data) is retryable: a gateway
   * hiccup as often as not. An element too large is the data itself, and would come again.
   */
  private fail(code: 'NOT_AN_ARRAY' | 'MALFORMED' | 'TRUNCATED' | 'TRAILING_DATA' | 'TOO_LARGE', message: string): DataError {
    return new DataError(code, message, { retryable: code !== 'TOO_LARGE' });
  }
}
