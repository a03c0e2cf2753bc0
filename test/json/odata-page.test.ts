import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.js';
import { ODataPageSplitter } from '../../src/json/odata-page.js';
import type { CheckedFields } from '../../src/alert/byte-check.js';
import { GRAPH_BYTE_CHECK } from '../../src/alert/graph-schema.js';

const graphAlert = readFileSync(new URL('../fixtures/graph-alerts_v2-alert.json', import.meta.url), 'utf8');

function split(text: string, chunkSize: number): { alerts: unknown[]; nextLink: string | undefined; members: Record<string, unknown> } {
  const s = new ODataPageSplitter();
  const bytes = Buffer.from(text);
  const alerts: unknown[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) {
    for (const raw of s.push(bytes.subarray(i, i + chunkSize))) alerts.push(JSON.parse(raw.toString()));
  }
  return { alerts, ...s.end() };
}

describe('ODataPageSplitter', () => {
  const page = (value: string, extra = '') =>
    `{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2",${extra}"value":${value},"@odata.nextLink":"https://graph.microsoft.com/v1.0/security/alerts_v2?$skiptoken=a%22b"}`;

  it.each([1, 2, 7, 64, 100_000])('yields each alert of value and the nextLink, chunks of %i bytes', (size) => {
    const text = page(`[\n${graphAlert},\n${graphAlert}\n]`);
    const { alerts, nextLink } = split(text, size);
    expect(alerts).toEqual([JSON.parse(graphAlert), JSON.parse(graphAlert)]);
    expect(nextLink).toBe('https://graph.microsoft.com/v1.0/security/alerts_v2?$skiptoken=a%22b');
  });

  it('finds the nextLink before value too, and other members with nesting and tricky strings', () => {
    const text = `{"@odata.nextLink":"n}],","@odata.count":2,"x":{"a":[1,{"b":"]}"}]},"value":[{"id":"1"},{"id":"]}\\""}]}`;
    const result = split(text, 3);
    expect(result.alerts).toEqual([{ id: '1' }, { id: ']}"' }]);
    expect(result.nextLink).toBe('n}],');
    expect(result.members['x']).toEqual({ a: [1, { b: ']}' }] });
    expect(result.members['@odata.count']).toBe(2);
  });

  it('accepts an empty page without a nextLink (the last page)', () => {
    expect(split('{"value":[]}', 5)).toEqual({ alerts: [], nextLink: undefined, members: {} });
  });

  it('accepts every line of the Defender API fixture as a page when wrapped', () => {
    const lines = readFileSync(new URL('../fixtures/mde-api-alerts-elastic-fixture.ndjson', import.meta.url), 'utf8')
      .trim()
      .split('\n');
    const alerts = lines.slice(0, -1);
    expect(split(`{"value":[${alerts.join(',')}]}`, 13).alerts).toHaveLength(alerts.length);
    expect(split(lines.at(-1)!, 4).alerts).toEqual([]); // {"value":[]}
  });

  it.each([1, 3, 1000])('hands on the alerts before a broken one, then fails (chunks of %i bytes)', (size) => {
    const s = new ODataPageSplitter();
    const bytes = Buffer.from('{"value":[{"id":"1"},{"id":"2"},]}');
    const alerts: string[] = [];
    let err: unknown;
    try {
      for (let i = 0; i < bytes.length; i += size) for (const raw of s.push(bytes.subarray(i, i + size))) alerts.push(raw.toString());
      s.end();
    } catch (e) {
      err = e;
    }
    expect(alerts).toEqual(['{"id":"1"}', '{"id":"2"}']);
    expect((err as DataError).code).toBe('MALFORMED');
  });

  it('scans value once: the members after it are read where the array ends, in the same chunk', () => {
    const s = new ODataPageSplitter();
    expect(s.push(Buffer.from('{"value":[{"id":"1"}],"@odata.nextLink":"n"}')).map(String)).toEqual(['{"id":"1"}']);
    expect(s.end().nextLink).toBe('n');
  });

  it('with the byte check: every compact alert is decided while splitting wherever one cut falls, and the page ends where it ends', () => {
    const compact = JSON.stringify(JSON.parse(graphAlert));
    const bytes = Buffer.from(page(`[${compact},${compact}]`));
    for (let cut = 1; cut < bytes.length; cut++) {
      const s = new ODataPageSplitter({ check: GRAPH_BYTE_CHECK });
      const verdicts: (CheckedFields | undefined)[] = [];
      const alerts = [...s.push(bytes.subarray(0, cut), verdicts), ...s.push(bytes.subarray(cut), verdicts)].map(String);
      expect(alerts, `cut at ${cut}`).toEqual([compact, compact]);
      expect(
        verdicts.map((v) => v !== undefined),
        `cut at ${cut}`,
      ).toEqual([true, true]);
      expect(s.end().nextLink).toBe('https://graph.microsoft.com/v1.0/security/alerts_v2?$skiptoken=a%22b');
    }
  });

  it('with the byte check: a cut alert it cannot decide (an escape in its id) is scanned as before, wherever the cut falls', () => {
    const compact = JSON.stringify(JSON.parse(graphAlert));
    const odd = compact.replace(/"id":"([^"]*)"/, '"id":"\\u0061$1"');
    expect(odd).not.toBe(compact);
    const bytes = Buffer.from(page(`[${compact},${odd},${compact}]`));
    const at = bytes.indexOf(odd);
    for (let cut = at + 1; cut < at + odd.length; cut++) {
      const s = new ODataPageSplitter({ check: GRAPH_BYTE_CHECK });
      const verdicts: (CheckedFields | undefined)[] = [];
      const alerts = [...s.push(bytes.subarray(0, cut), verdicts), ...s.push(bytes.subarray(cut), verdicts)].map(String);
      expect(alerts, `cut at ${cut}`).toEqual([compact, odd, compact]);
      expect(
        verdicts.map((v) => v !== undefined),
        `cut at ${cut}`,
      ).toEqual([true, false, true]);
      expect(s.end().nextLink).toBe('https://graph.microsoft.com/v1.0/security/alerts_v2?$skiptoken=a%22b');
    }
  });

  it.each([
    ['[]', 'NOT_AN_ARRAY'],
    ['<html>', 'NOT_AN_ARRAY'],
    ['', 'NOT_AN_ARRAY'],
    ['{"value":{}}', 'NOT_AN_ARRAY'],
    ['{"@odata.context":"x"}', 'NOT_AN_ARRAY'],
    ['{"value":[{"id":1}', 'TRUNCATED'],
    ['{"value":[{"id":1}]', 'TRUNCATED'],
    ['{"value":[{"id":1}]]}', 'MALFORMED'],
    ['{"value":[]} x', 'TRAILING_DATA'],
    ['{"value":[] "x":1}', 'MALFORMED'],
  ])('rejects %j with %s', (text, code) => {
    let err: unknown;
    try {
      split(text, 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe(code);
  });
});
