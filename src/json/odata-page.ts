/**
 * Streams one OData page (`{"@odata.context":…,"value":[…],"@odata.nextLink":…}`) the way the
 * SIEM answer is streamed: each element of `value` is handed on as soon as it is complete, as its
 * own bytes (via {@link JsonArraySplitter}), while the page's other members (`@odata.nextLink`,
 * which Graph may send before or after `value`) are kept, parsed, for the end.
 *
 * A byte-level scan of the top-level object: strings and nesting are tracked so a `]` or `}`
 * inside a string or a nested value is never mistaken for the end of `value`.
 */
import { DataError } from '../errors.js';
import { JsonArraySplitter, type ElementCheck } from './array-splitter.js';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE, isJsonSpace, quoteStart } from './bytes.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A broken page is retried (a gateway hiccup as often as not): the retry loop asks again. */
const BROKEN = { retryable: true } as const;

// Members other than `value` are small (links, counts, a context URL): a huge one is not OData.
const MAX_MEMBER_BYTES = 1024 * 1024;

type Phase =
  | 'start' // before `{`
  | 'key' // expecting a key string or `}`
  | 'colon'
  | 'value' // expecting a member value
  | 'member' // inside a non-`value` member's value
  | 'array' // inside `value`'s array
  | 'next' // after a value: `,` or `}`
  | 'done';

export class ODataPageSplitter<F = unknown> {
  readonly #check: ElementCheck<F> | undefined;
  /** Where the current push's verdicts go (see JsonArraySplitterOptions.check). */
  #checked: (F | undefined)[] | undefined;
  #phase: Phase = 'start';
  #inString = false;
  #escaped = false;
  #depth = 0; // nesting inside the current member value
  #key: number[] = [];
  #readingKey = false;
  #currentKey = '';
  #member: Buffer[] = [];
  #memberBytes = 0;
  #members: Record<string, unknown> = {};
  #array: JsonArraySplitter<F> | undefined;
  #sawValue = false;
  /** Bytes of a leading UTF-8 BOM seen so far; a network chunk may end inside it. */
  #bomBytes = 0;
  #started = false;

  /** `check`: tried on each alert of `value`, as JsonArraySplitterOptions.check says. */
  constructor(options: { check?: ElementCheck<F> } = {}) {
    this.#check = options.check;
  }

  /** Elements of `value` completed by this chunk; `checked` gets the check's verdict on each. */
  push(chunk: Buffer, checked?: (F | undefined)[]): Buffer[] {
    const out: Buffer[] = [];
    this.#checked = checked;
    let i = 0;
    if (!this.#started) {
      // A BOM is skipped however the chunks cut it; a BOM cut short is not a BOM.
      while (i < chunk.length && this.#bomBytes < BOM.length && chunk[i] === BOM[this.#bomBytes]) {
        this.#bomBytes++;
        i++;
      }
      if (i === chunk.length && this.#bomBytes < BOM.length) return out;
      if (this.#bomBytes > 0 && this.#bomBytes < BOM.length)
        throw notAPage(Buffer.concat([BOM.subarray(0, this.#bomBytes), chunk.subarray(i)]));
      this.#started = true;
    }
    let memberFrom = this.#phase === 'member' ? i : -1;
    for (; i < chunk.length; i++) {
      const b = chunk[i] as number;
      switch (this.#phase) {
        case 'start':
          if (isJsonSpace(b)) continue;
          if (b !== OPEN_BRACE) throw notAPage(chunk.subarray(i));
          this.#phase = 'key';
          continue;
        case 'key':
          if (this.#readingKey) {
            if (this.#escaped) {
              this.#escaped = false;
              this.#key.push(b);
            } else if (b === BACKSLASH) {
              this.#escaped = true;
              this.#key.push(b);
            } else if (b === QUOTE) {
              this.#readingKey = false;
              this.#currentKey = JSON.parse(`"${Buffer.from(this.#key).toString('utf8')}"`) as string;
              this.#key = [];
              this.#phase = 'colon';
            } else this.#key.push(b);
            continue;
          }
          if (isJsonSpace(b)) continue;
          if (b === QUOTE) {
            this.#readingKey = true;
            continue;
          }
          if (b === CLOSE_BRACE) {
            this.#phase = 'done';
            continue;
          }
          throw malformed(`expected a member name, got "${String.fromCharCode(b)}"`);
        case 'colon':
          if (isJsonSpace(b)) continue;
          if (b !== COLON) throw malformed('expected ":" after a member name');
          this.#phase = 'value';
          continue;
        case 'value':
          if (isJsonSpace(b)) continue;
          if (this.#currentKey === 'value') {
            if (b !== OPEN_BRACKET) throw new DataError('NOT_AN_ARRAY', 'the OData page\'s "value" is not an array of alerts', BROKEN);
            this.#sawValue = true;
            this.#array = new JsonArraySplitter(this.#check === undefined ? {} : { check: this.#check });
            this.#phase = 'array';
            i = this.#pushArray(chunk, i, out) - 1;
            continue;
          }
          this.#phase = 'member';
          this.#depth = 0;
          memberFrom = i;
          i--; // let 'member' see this first byte
          continue;
        case 'array':
          // The array splitter scans `value` itself, to its closing bracket: its bytes are scanned once.
          i = this.#pushArray(chunk, i, out) - 1;
          continue;
        case 'member': {
          if (this.#inString) {
            if (this.#escaped) this.#escaped = false;
            else if (b === BACKSLASH) this.#escaped = true;
            else if (b === QUOTE) this.#inString = false;
            continue;
          }
          if (b === QUOTE) {
            this.#inString = true;
            continue;
          }
          if (b === OPEN_BRACE || b === OPEN_BRACKET) {
            this.#depth++;
            continue;
          }
          if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
            if (this.#depth === 0) {
              // `}` closing the page right after a scalar member.
              this.#endMember(chunk, memberFrom, i);
              memberFrom = -1;
              if (b !== CLOSE_BRACE) throw malformed('unexpected "]"');
              this.#phase = 'done';
              continue;
            }
            this.#depth--;
            continue;
          }
          if (this.#depth === 0 && b === COMMA) {
            this.#endMember(chunk, memberFrom, i);
            memberFrom = -1;
            this.#phase = 'key';
          }
          continue;
        }
        case 'next':
          if (isJsonSpace(b)) continue;
          if (b === COMMA) this.#phase = 'key';
          else if (b === CLOSE_BRACE) this.#phase = 'done';
          else throw malformed('expected "," or "}" after a member');
          continue;
        case 'done':
          if (!isJsonSpace(b)) throw new DataError('TRAILING_DATA', 'unexpected data after the end of the OData page', BROKEN);
          continue;
      }
    }
    if (this.#phase === 'member' && memberFrom >= 0) this.#keepMember(chunk.subarray(memberFrom));
    return out;
  }

  /**
   * Hands `chunk` from `from` to the splitter of `value`; returns where the page's own scan goes
   * on: just after the array's `]`, or the chunk's end while the array goes on.
   */
  #pushArray(chunk: Buffer, from: number, out: Buffer[]): number {
    const array = this.#array as JsonArraySplitter<F>;
    const end = array.pushEmbedded(chunk, from, out, this.#checked);
    if (end < 0) return chunk.length;
    array.end();
    this.#array = undefined;
    this.#phase = 'next';
    return end;
  }

  /** Checks the page is complete and returns its members other than `value`. */
  end(): { nextLink: string | undefined; members: Record<string, unknown> } {
    // A failure inside `value` after some alerts were handed on is the one to report.
    this.#array?.end();
    if (this.#phase === 'start') throw new DataError('NOT_AN_ARRAY', 'expected an OData page of alerts, got an empty answer', BROKEN);
    if (this.#phase !== 'done') throw new DataError('TRUNCATED', 'the OData page ended before it was complete', BROKEN);
    if (!this.#sawValue) throw new DataError('NOT_AN_ARRAY', 'the OData page has no "value" array of alerts', BROKEN);
    const link = this.#members['@odata.nextLink'];
    return { nextLink: typeof link === 'string' ? link : undefined, members: this.#members };
  }

  #keepMember(bytes: Buffer): void {
    this.#memberBytes += bytes.length;
    if (this.#memberBytes > MAX_MEMBER_BYTES) throw malformed(`the member "${this.#currentKey}" is larger than 1 MiB`);
    this.#member.push(Buffer.from(bytes));
  }

  #endMember(chunk: Buffer, from: number, to: number): void {
    if (from >= 0) this.#keepMember(chunk.subarray(from, to));
    const text = Buffer.concat(this.#member).toString('utf8').trim();
    this.#member = [];
    this.#memberBytes = 0;
    try {
      this.#members[this.#currentKey] = JSON.parse(text);
    } catch {
      throw malformed(`the member "${this.#currentKey}" is not valid JSON`);
    }
  }
}

function malformed(detail: string): DataError {
  return new DataError('MALFORMED', `the answer is not a valid OData page: ${detail}`, BROKEN);
}

function notAPage(head: Buffer): DataError {
  return new DataError('NOT_AN_ARRAY', `expected an OData page of alerts ({"value":[…]}), got ${quoteStart(head)}`, BROKEN);
}
