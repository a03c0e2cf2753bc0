import { describe, expect, it } from 'vitest';

import { SIEM_BYTE_CHECK } from '../../src/alert/siem-schema.js';
import type { CheckedFields } from '../../src/alert/byte-check.js';
import { DataError } from '../../src/errors.js';
import { JsonArraySplitter, type JsonArraySplitterOptions } from '../../src/json/array-splitter.js';

/** Feeds `input` cut at `cuts` (sorted byte offsets) and returns the elements as strings. */
function split(input: Buffer, cuts: readonly number[] = [], options?: JsonArraySplitterOptions): string[] {
  const splitter = new JsonArraySplitter(options);
  const out: string[] = [];
  let start = 0;
  for (const cut of [...cuts, input.length]) {
    for (const element of splitter.push(input.subarray(start, cut))) out.push(element.toString('utf8'));
    start = cut;
  }
  splitter.end();
  expect(splitter.count).toBe(out.length);
  return out;
}

/** Runs the splitter to its end and returns the elements seen and the error thrown. */
function failure(input: string | Buffer, cuts: readonly number[] = []): { elements: string[]; error: DataError } {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  const splitter = new JsonArraySplitter();
  const elements: string[] = [];
  try {
    let start = 0;
    for (const cut of [...cuts, bytes.length]) {
      for (const element of splitter.push(bytes.subarray(start, cut))) elements.push(element.toString());
      start = cut;
    }
    splitter.end();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return { elements, error: error as DataError };
  }
  throw new Error(`expected the splitter to fail on ${JSON.stringify(bytes.toString())}`);
}

/** Small deterministic PRNG (mulberry32), so a failing chunking can be reproduced. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Each element as sent (with insignificant whitespace) and as it must come out.
const TRICKY: ReadonlyArray<readonly [sent: string, expected: string]> = [
  ['{ "a" : "quote \\" inside" }', '{"a":"quote \\" inside"}'],
  ['{"backslash": "C:\\\\WINDOWS\\\\", "n": 1}', '{"backslash":"C:\\\\WINDOWS\\\\","n":1}'],
  ['{"brackets": "] } [ { , :", "x": [ 1 , 2 ]}', '{"brackets":"] } [ { , :","x":[1,2]}'],
  ['{"unicode": "é ü 日本 🙂 \\u00e9 \\ud83d\\ude42", "tab":"a\\tb"}', '{"unicode":"é ü 日本 🙂 \\u00e9 \\ud83d\\ude42","tab":"a\\tb"}'],
  [
    '{"nested": {"deep": [ {"x": [ [ ], { } ] } ] }, "s": "  keep  spaces  "}',
    '{"nested":{"deep":[{"x":[[],{}]}]},"s":"  keep  spaces  "}',
  ],
  ['[ "array", "element" ]', '["array","element"]'],
  ['"a top-level string with ] and \\""', '"a top-level string with ] and \\""'],
  ['-12.5e+3', '-12.5e+3'],
  ['true', 'true'],
  ['null', 'null'],
  ['{"ends with backslash pair": "\\\\"}', '{"ends with backslash pair":"\\\\"}'],
];
const TRICKY_INPUT = Buffer.from(`\n [ ${TRICKY.map(([sent]) => sent).join(' ,\r\n\t')} ] \n`);
const TRICKY_EXPECTED = TRICKY.map(([, expected]) => expected);

describe('JsonArraySplitter', () => {
  it('returns each element without insignificant whitespace', () => {
    expect(split(TRICKY_INPUT)).toEqual(TRICKY_EXPECTED);
    // What we output must still be the same JSON value.
    for (const [sent, expected] of TRICKY) expect(JSON.parse(expected)).toEqual(JSON.parse(sent));
  });

  it('gives the same elements whichever byte the answer is cut at', () => {
    for (let cut = 0; cut <= TRICKY_INPUT.length; cut++) {
      expect(split(TRICKY_INPUT, [cut]), `cut at ${cut}`).toEqual(TRICKY_EXPECTED);
    }
  });

  it('gives the same elements when every byte arrives alone', () => {
    const cuts = Array.from({ length: TRICKY_INPUT.length - 1 }, (_, i) => i + 1);
    expect(split(TRICKY_INPUT, cuts)).toEqual(TRICKY_EXPECTED);
  });

  it('gives the same elements for every pair of cut points', () => {
    const input = Buffer.from('[{"k": "v\\"]}", "u": "é"}, [1, [2]], "s\\\\", 7]');
    const expected = ['{"k":"v\\"]}","u":"é"}', '[1,[2]]', '"s\\\\"', '7'];
    for (let a = 0; a <= input.length; a++) {
      for (let b = a; b <= input.length; b++) expect(split(input, [a, b]), `cuts ${a},${b}`).toEqual(expected);
    }
  });

  it('returns an element as soon as it is complete, before the array ends', () => {
    const splitter = new JsonArraySplitter();
    expect(splitter.push(Buffer.from('[{"AlertId":"a"},{"AlertId"')).map(String)).toEqual(['{"AlertId":"a"}']);
    expect(splitter.push(Buffer.from(':"b"}')).map(String)).toEqual(['{"AlertId":"b"}']);
    expect(splitter.push(Buffer.from(']'))).toEqual([]);
    splitter.end();
    expect(splitter.count).toBe(2);
  });

  it('hands on an element that came in one piece as a view of its chunk (no copy), and joins pieces', () => {
    const chunk = Buffer.from('[{"a":1},{"b":');
    const splitter = new JsonArraySplitter();
    const [whole] = splitter.push(chunk);
    expect(whole?.toString()).toBe('{"a":1}');
    const [joined] = splitter.push(Buffer.from('2}]'));
    expect(joined?.toString()).toBe('{"b":2}');
    // Node never rewrites a chunk it handed out; rewriting one here shows which is a view.
    chunk.fill(0x20);
    expect(whole?.toString()).toBe('       ');
    expect(joined?.toString()).toBe('{"b":2}');
  });

  it('skips a UTF-8 byte order mark, wherever the first chunk ends', () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[{"a":1}]')]);
    for (let cut = 0; cut <= input.length; cut++) expect(split(input, [cut])).toEqual(['{"a":1}']);
  });

  it('rejects a byte order mark cut short', () => {
    expect(failure(Buffer.from([0xef, 0xbb, 0x5b, 0x5d])).error.code).toBe('NOT_AN_ARRAY');
  });

  it('accepts an empty array, with or without whitespace', () => {
    expect(split(Buffer.from('[]'))).toEqual([]);
    expect(split(Buffer.from(' \r\n[ \n\t ]\n\n'), [3, 6])).toEqual([]);
  });

  it.each([
    ['an object', '{"value":[]}', '"{\\"value\\":[]}"'],
    ['null', 'null', '"null"'],
    ['a number', '  42', '"42"'],
    [
      'an HTML error page',
      '<html><head><title>Service Unavailable</title></head><body>try later</body></html>',
      '"<html><head><title>Service Unavailable</…"',
    ],
  ])('rejects an answer that is not an array: %s', (_name, input, quoted) => {
    for (let cut = 0; cut <= input.length; cut++) {
      const { elements, error } = failure(input, [cut]);
      expect(elements).toEqual([]);
      expect(error.code).toBe('NOT_AN_ARRAY');
      expect(error.message).toBe(`expected a JSON array of alerts, got ${quoted}`);
    }
  });

  it('keeps a non-array answer on one line in the message', () => {
    const { error } = failure('{\n  "error": {\n    "code": "Unauthorized"\n  }\n}');
    expect(error.message).toBe('expected a JSON array of alerts, got "{ \\"error\\": { \\"code\\": \\"Unauthorized\\" } }"');
  });

  it('rejects an empty answer', () => {
    expect(failure('').error.code).toBe('NOT_AN_ARRAY');
    expect(failure(' \n ').error.code).toBe('NOT_AN_ARRAY');
  });

  it.each([
    ['[', 0],
    ['[{"a":1}', 1],
    ['[{"a":1},', 1],
    ['[{"a":1},{"b":"unterminated', 1],
    ['[{"a":1},{"b":[1,2]', 1],
    ['[{"a":"x\\', 0],
    ['[12', 0],
  ])('reports a truncated array: %s', (input, complete) => {
    for (let cut = 0; cut <= input.length; cut++) {
      const { elements, error } = failure(input, [cut]);
      expect(error.code).toBe('TRUNCATED');
      expect(elements).toHaveLength(complete);
    }
  });

  it.each(['[1] x', '[1][2]', '[{"a":1}]\n{"b":2}', '[] ,'])('reports data after the array: %s', (input) => {
    for (let cut = 0; cut <= input.length; cut++) {
      const { error } = failure(input, [cut]);
      expect(error.code).toBe('TRAILING_DATA');
    }
  });

  it.each(['[1,,2]', '[}', '[{]', '[[}]', '[{"a":[1}]', '[,1]', '[1,]', '[1 2]', '[{"a":1 2}]', '[{"a":tr ue}]', '[:]', '[1:2]'])(
    'rejects structural garbage: %s',
    (input) => {
      for (let cut = 0; cut <= input.length; cut++) {
        const { error } = failure(input, [cut]);
        expect(error.code).toBe('MALFORMED');
        expect(error.message).toMatch(/^malformed JSON array of alerts at byte \d+: expected /);
      }
    },
  );

  it('returns the elements completed before an error, then throws on the next call', () => {
    const splitter = new JsonArraySplitter();
    expect(splitter.push(Buffer.from('[{"a":1},{"b":2},}')).map(String)).toEqual(['{"a":1}', '{"b":2}']);
    expect(() => splitter.push(Buffer.from('more'))).toThrow(/malformed/);
    expect(() => splitter.end()).toThrow(/malformed/);
  });

  it('bounds the nesting depth', () => {
    const deep = `[${'['.repeat(20)}${']'.repeat(20)}]`;
    expect(split(Buffer.from(deep), [], { maxDepth: 20 })).toHaveLength(1);
    const tooDeep = new JsonArraySplitter({ maxDepth: 19 });
    expect(() => tooDeep.push(Buffer.from(deep))).toThrow(/nested more than 19 levels/);
  });

  it('bounds the size of one element, even across chunks', () => {
    const splitter = new JsonArraySplitter({ maxElementBytes: 100 });
    splitter.push(Buffer.from('[{"a":"'));
    let thrown: unknown;
    try {
      for (let i = 0; i < 10; i++) splitter.push(Buffer.from('x'.repeat(20)));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DataError);
    expect((thrown as DataError).code).toBe('TOO_LARGE');
  });

  it('splits 10 000 alerts the same way under random chunkings', () => {
    const alerts = Array.from({ length: 10_000 }, (_, i) =>
      JSON.stringify({
        AlertId: `da${637370718981685665n + BigInt(i)}_${i}`,
        FilePath: `C:\\WINDOWS\\SysWOW64\\boo${i}`,
        Title: `quote " and ] } in alert ${i} — é`,
        AlertPart: i,
        RemediationIsSuccess: i % 2 === 0 ? null : true,
      }),
    );
    const pretty = Buffer.from(`[\n${alerts.map((a) => JSON.stringify(JSON.parse(a), null, 2)).join(',\n')}\n]`);
    const compact = Buffer.from(`[${alerts.join(',')}]`);
    for (const [seed, input] of [
      [1, compact],
      [2, compact],
      [3, pretty],
      [4, pretty],
    ] as const) {
      const next = random(seed);
      const cuts: number[] = [];
      // Chunks from 1 byte to 32 KiB, like a network that cannot make up its mind.
      for (let at = 0; ;) {
        at += 1 + Math.floor(next() ** 3 * 32 * 1024);
        if (at >= input.length) break;
        cuts.push(at);
      }
      expect(split(input, cuts), `seed ${seed}`).toEqual(alerts);
    }
  });

  it('passes integers beyond 2^53 and 7-digit fractions through byte for byte', () => {
    const element =
      '{"ReportID":123456789012345678901234567890,"Big":9007199254740993,"LastProcessedTimeUtc":"2017-01-23T07:32:54.1861171Z","F":1.10}';
    const input = Buffer.from(
      '[ {"ReportID": 123456789012345678901234567890, "Big": 9007199254740993,\n' +
        '  "LastProcessedTimeUtc": "2017-01-23T07:32:54.1861171Z", "F": 1.10 } ]',
    );
    for (let cut = 0; cut <= input.length; cut++) expect(split(input, [cut])).toEqual([element]);
  });

  it('passes invalid UTF-8 and control bytes inside strings through untouched', () => {
    const element = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const input = Buffer.concat([Buffer.from('['), element, Buffer.from(']')]);
    const out = new JsonArraySplitter().push(input);
    expect(out).toHaveLength(1);
    expect(out[0]?.equals(element)).toBe(true);
  });
});

describe('JsonArraySplitter with an element check: alerts cut by a chunk', () => {
  const ALERTS = [0, 1, 2].map((i) => ({
    AlertId: `da63${i}`,
    AlertTitle: `Suspicious activity ${i}`,
    Severity: 'High',
    LastProcessedTimeUtc: `2026-03-01T12:0${i}:00.1234567Z`,
    MachineName: `host-${i}`,
  }));
  const TEXTS = ALERTS.map((a) => JSON.stringify(a));
  const INPUT = Buffer.from(`[${TEXTS.join(',')}]`);

  /** Splits `input` at `cuts` with the SIEM byte check: the elements and the verdicts given while splitting. */
  function checkedSplit(input: Buffer, cuts: readonly number[]): { elements: string[]; decided: boolean[] } {
    const splitter = new JsonArraySplitter({ check: SIEM_BYTE_CHECK });
    const elements: string[] = [];
    const verdicts: (CheckedFields | undefined)[] = [];
    let start = 0;
    for (const cut of [...cuts, input.length]) {
      for (const element of splitter.push(input.subarray(start, cut), verdicts)) elements.push(element.toString());
      start = cut;
    }
    splitter.end();
    expect(verdicts).toHaveLength(elements.length);
    return { elements, decided: verdicts.map((v) => v !== undefined) };
  }

  it('checks a valid alert in the one pass wherever one cut falls, the cut alert included', () => {
    for (let cut = 1; cut < INPUT.length; cut++) {
      const { elements, decided } = checkedSplit(INPUT, [cut]);
      expect(elements, `cut at ${cut}`).toEqual(TEXTS);
      expect(decided, `cut at ${cut}`).toEqual([true, true, true]);
    }
  });

  it('gives the same elements when an alert spans three chunks or more, and then leaves it to the caller to check', () => {
    const second = INPUT.indexOf('{"AlertId":"da631"');
    for (let width = 1; width <= 7; width += 3) {
      const cuts = [second + 5, second + 5 + width, second + 10 + width];
      const { elements, decided } = checkedSplit(INPUT, cuts);
      expect(elements, `cuts ${cuts.join(',')}`).toEqual(TEXTS);
      expect(decided[0]).toBe(true);
      expect(decided[2]).toBe(true);
    }
  });

  it('scans a cut alert the check cannot decide (an escape in a field it reads) as before', () => {
    const odd = '{"AlertId":"da\\u0063","LastProcessedTimeUtc":"2026-03-01T12:00:00Z"}';
    const input = Buffer.from(`[${TEXTS[0]},${odd},${TEXTS[1]}]`);
    const at = input.indexOf(odd);
    for (let cut = at + 1; cut < at + odd.length; cut++) {
      const { elements, decided } = checkedSplit(input, [cut]);
      expect(elements, `cut at ${cut}`).toEqual([TEXTS[0], odd, TEXTS[1]]);
      expect(decided, `cut at ${cut}`).toEqual([true, false, true]);
    }
  });

  it('names the same byte in an error after a carried alert as in one chunk', () => {
    const broken = Buffer.from(`[${TEXTS[0]},${TEXTS[1]} x]`);
    const whole = (() => {
      try {
        checkedSplit(broken, []);
      } catch (error) {
        return (error as DataError).message;
      }
      throw new Error('expected a failure');
    })();
    const inSecond = broken.indexOf('"da631"');
    expect(() => checkedSplit(broken, [inSecond])).toThrow(whole);
  });

  it('an answer that ends inside a carried alert is TRUNCATED', () => {
    const cut = INPUT.subarray(0, INPUT.indexOf('"da631"'));
    const splitter = new JsonArraySplitter({ check: SIEM_BYTE_CHECK });
    expect(splitter.push(cut, [])).toHaveLength(1);
    expect(() => splitter.end()).toThrow(expect.objectContaining({ code: 'TRUNCATED' }) as Error);
  });
});
