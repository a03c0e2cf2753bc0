/**
 * A UTF-8 byte order mark before an OData page: some services write one, and the network may cut
 * the answer anywhere, the BOM's three bytes included. A BOM is skipped however it is cut; bytes
 * that only begin like a BOM are not one, and the answer is refused rather than read past them.
 */
import { describe, expect, it } from 'vitest';

import { DataError } from '../../src/errors.js';
import { ODataPageSplitter } from '../../src/json/odata-page.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const PAGE = Buffer.from('{"value":[{"id":"a"}]}');
const bytes = (...values: number[]): Buffer => Buffer.from(values);

/** Feeds `chunks` one push() each; returns the alerts as text and what end() returned. */
function split(chunks: readonly Buffer[]): { alerts: string[]; page: ReturnType<ODataPageSplitter['end']> } {
  const splitter = new ODataPageSplitter();
  const alerts: string[] = [];
  for (const chunk of chunks) for (const raw of splitter.push(chunk)) alerts.push(raw.toString('utf8'));
  return { alerts, page: splitter.end() };
}

/** The error split() throws, or undefined. */
function refusal(chunks: readonly Buffer[]): unknown {
  try {
    split(chunks);
  } catch (error) {
    return error;
  }
  return undefined;
}

const WITHOUT_BOM = split([PAGE]);

describe('ODataPageSplitter: a BOM before the page', () => {
  it('reads the page without a BOM (the reference for the cases below)', () => {
    expect(WITHOUT_BOM).toEqual({ alerts: ['{"id":"a"}'], page: { nextLink: undefined, members: {} } });
  });

  it.each([
    ['in the first chunk with the page', [Buffer.concat([BOM, PAGE])]],
    ['alone in the first chunk', [BOM, PAGE]],
    ['after an empty chunk', [Buffer.alloc(0), Buffer.concat([BOM, PAGE])]],
  ])('skips a whole BOM %s', (_name, chunks) => {
    expect(split(chunks)).toEqual(WITHOUT_BOM);
  });

  // The network may cut the BOM anywhere: its bytes are carried over to the next chunk.
  it.each([
    ['1 + 2 bytes', [BOM.subarray(0, 1), BOM.subarray(1), PAGE]],
    ['2 + 1 bytes', [BOM.subarray(0, 2), BOM.subarray(2), PAGE]],
    ['1 + 1 + 1 bytes', [BOM.subarray(0, 1), BOM.subarray(1, 2), BOM.subarray(2), PAGE]],
    ['1 + 2 bytes, the "{" in the last one', [BOM.subarray(0, 1), Buffer.concat([BOM.subarray(1), PAGE])]],
    ['2 + 1 bytes, the "{" in the last one', [BOM.subarray(0, 2), Buffer.concat([BOM.subarray(2), PAGE])]],
    ['1 + 1 + 1 bytes, the "{" in the last one', [BOM.subarray(0, 1), BOM.subarray(1, 2), Buffer.concat([BOM.subarray(2), PAGE])]],
  ])('skips a BOM cut into %s', (_name, chunks) => {
    expect(split(chunks)).toEqual(WITHOUT_BOM);
  });
});

describe('ODataPageSplitter: bytes that only begin like a BOM', () => {
  it.each([
    ['EF BB 41 in one chunk', [bytes(0xef, 0xbb, 0x41), PAGE]],
    ['EF BB, then 41', [bytes(0xef, 0xbb), bytes(0x41), PAGE]],
    ['EF BB, then the page', [bytes(0xef, 0xbb), PAGE]],
    ['EF BB and the page in one chunk', [Buffer.concat([bytes(0xef, 0xbb), PAGE])]],
    ['EF, then the page', [bytes(0xef), PAGE]],
    ['two BOMs', [BOM, BOM, PAGE]],
  ])('refuses %s as not an OData page', (_name, chunks) => {
    const error = refusal(chunks);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).code).toBe('NOT_AN_ARRAY');
  });
});
