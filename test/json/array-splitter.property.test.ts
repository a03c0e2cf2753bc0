/**
 * Property-based tests of the streaming JSON array splitter: any valid array of objects, laid
 * out with any whitespace and cut at any byte boundaries (inside multi-byte characters, escapes
 * and numbers included), yields exactly those objects, byte for byte in compact form; a cut-off
 * answer yields a prefix of them and then TRUNCATED; arbitrary bytes never throw anything but a
 * DataError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckedFields } from '../../src/alert/byte-check.js';
import { SIEM_BYTE_CHECK } from '../../src/alert/siem-schema.js';
import { DataError } from '../../src/errors.js';
import { JsonArraySplitter } from '../../src/json/array-splitter.js';
import { propertyRuns } from '../helpers/property-runs.js';

const objects = fc.array(
  fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), { maxKeys: 6 }),
  {
    maxLength: 8,
  },
);

/** Cut `bytes` at the given positions (any order, duplicates allowed). */
function cut(bytes: Buffer, positions: number[]): Buffer[] {
  const at = [...new Set(positions.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of [...at, bytes.length]) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  return chunks;
}

/** Feeds every chunk and ends; returns the elements as text. */
function split(chunks: Buffer[]): string[] {
  const splitter = new JsonArraySplitter();
  const out: string[] = [];
  for (const chunk of chunks) for (const element of splitter.push(chunk)) out.push(element.toString('utf8'));
  splitter.end();
  return out;
}

/** SIEM-like alerts, some valid for the byte check and some not (a wrong type, nesting, escapes). */
const alerts = fc.array(
  fc.record(
    {
      AlertId: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }), fc.constant(1)),
      LastProcessedTimeUtc: fc.constantFrom('2020-09-30T14:11:44.0779765Z', '2020-09-30T14:11:44Z', 'not a time'),
      Severity: fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constant(null)),
      AlertPart: fc.oneof(fc.integer(), fc.constant(1.5), fc.constant('')),
      Extra: fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }),
    },
    { requiredKeys: ['AlertId'] },
  ),
  { maxLength: 8 },
);

describe('JsonArraySplitter at random byte boundaries', () => {
  it('with an element check: the same elements, and a verdict only where the check on the element alone gives it', () => {
    fc.assert(
      fc.property(alerts, fc.constantFrom(0, 2), fc.array(fc.nat(), { maxLength: 12 }), (values, indent, positions) => {
        const text = JSON.stringify(values, null, indent);
        const splitter = new JsonArraySplitter({ check: SIEM_BYTE_CHECK });
        const elements: Buffer[] = [];
        const checked: (CheckedFields | undefined)[] = [];
        for (const chunk of cut(Buffer.from(text), positions)) elements.push(...splitter.push(chunk, checked));
        splitter.end();
        expect(elements.map(String)).toEqual(values.map((v) => JSON.stringify(v)));
        expect(checked).toHaveLength(elements.length);
        checked.forEach((verdict, i) => {
          if (verdict !== undefined) expect(verdict).toEqual(SIEM_BYTE_CHECK(elements[i]!));
        });
        // Compact and in one chunk, a valid alert is decided while splitting (the one-pass case).
        if (indent === 0 && positions.length === 0) {
          elements.forEach((e, i) => expect(checked[i] !== undefined).toBe(SIEM_BYTE_CHECK(e) !== undefined));
        }
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('any array of objects, any indentation, any cuts: exactly those objects, compact', () => {
    fc.assert(
      fc.property(
        objects,
        fc.constantFrom(0, 1, 2, '\t', ' \r\n '),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 12 }),
        (values, indent, bom, positions) => {
          const text = `${bom ? '\uFEFF' : ''}${JSON.stringify(values, null, indent)}\n`;
          const elements = split(cut(Buffer.from(text), positions));
          expect(elements).toEqual(values.map((v) => JSON.stringify(v)));
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('one byte at a time gives the same result as one chunk', () => {
    fc.assert(
      fc.property(objects, (values) => {
        const bytes = Buffer.from(JSON.stringify(values, null, 1));
        const oneByOne = split([...bytes].map((b) => Buffer.from([b])));
        expect(oneByOne).toEqual(split([bytes]));
      }),
      { numRuns: propertyRuns(100) },
    );
  });

  it('an answer cut anywhere: a prefix of the objects, then TRUNCATED (or NOT_AN_ARRAY when nothing came)', () => {
    fc.assert(
      fc.property(
        objects.filter((v) => v.length > 0),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (values, end, positions) => {
          const full = Buffer.from(JSON.stringify(values));
          const prefix = full.subarray(0, end % full.length); // never the whole answer
          const splitter = new JsonArraySplitter();
          const got: string[] = [];
          for (const chunk of cut(prefix, positions)) for (const e of splitter.push(chunk)) got.push(e.toString('utf8'));
          expect(got).toEqual(values.slice(0, got.length).map((v) => JSON.stringify(v)));
          expect(got.length).toBeLessThanOrEqual(values.length); // all of them, when only "]" was cut
          let error: unknown;
          try {
            splitter.end();
          } catch (err) {
            error = err;
          }
          expect(error).toBeInstanceOf(DataError);
          expect((error as DataError).code).toBe(prefix.length === 0 ? 'NOT_AN_ARRAY' : 'TRUNCATED');
        },
      ),
    );
  });

  it('arbitrary bytes: elements or a DataError, nothing else; every element is a JSON value', () => {
    const junk = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
      fc
        .string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', ',', ':', ' ', '1', 'a', 'é'), maxLength: 40 })
        .map((s) => Buffer.from(s)),
    );
    fc.assert(
      fc.property(junk, fc.array(fc.nat(), { maxLength: 6 }), (bytes, positions) => {
        const splitter = new JsonArraySplitter({ maxDepth: 8 });
        try {
          for (const chunk of cut(bytes, positions)) {
            for (const element of splitter.push(chunk)) {
              // The splitter only checks structure; a complete element may still be bad JSON
              // (validateAlert reports it), but it is always one balanced value.
              expect(element.length).toBeGreaterThan(0);
            }
          }
          splitter.end();
        } catch (err) {
          expect(err).toBeInstanceOf(DataError);
        }
      }),
      { numRuns: propertyRuns(500) },
    );
  });
});
