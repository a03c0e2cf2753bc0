/**
 * readInstant with plain fake pages: every alert sharing one boundary time is read by `$skip`,
 * each once, and an instant that cannot be proven read (the `$skip` cap reached, pages that
 * overlap, a service that ignores `$skip`) fails with exit 5 rather than ending as if complete.
 */
import { describe, expect, it } from 'vitest';
import { readInstant, type Instant } from '../../src/api/instant-reader.js';
import type { PageResult } from '../../src/api/read-answer.js';
import type { AlertRecord } from '../../src/api/source.js';
import type { Take } from '../../src/api/take-alerts.js';

const AT = '2026-03-01T10:00:00.1234567Z';

function record(id: string): AlertRecord {
  return { raw: Buffer.from(`{"id":"${id}"}`), id, updatedAt: AT, key: `${id}|${AT}` };
}

/** A page reader that yields `records` in one batch and returns their result, as readPage does. */
async function* pageOf(records: AlertRecord[]): AsyncGenerator<AlertRecord[], PageResult> {
  await Promise.resolve();
  if (records.length > 0) yield records;
  return { alerts: records.map(({ id, updatedAt, key }) => ({ id, updatedAt, key })), size: records.length, nextLink: undefined };
}

/** An instant whose page at each `$skip` is `answer(skip)`; the skips asked for are recorded. */
function instant(answer: (skip: number) => string[], quirks: Partial<Instant> = {}): { instant: Instant; skips: number[] } {
  const skips: number[] = [];
  return {
    skips,
    instant: {
      name: `lastUpdateDateTime ${AT}`,
      api: 'Graph',
      top: 3,
      page: (skip) => {
        skips.push(skip);
        return pageOf(answer(skip).map(record));
      },
      take: () => 'write',
      skipLimit: { max: 2, hint: 'narrow the range' },
      unorderedHint: 'run again',
      ...quirks,
    },
  };
}

/** The ids `readInstant` yielded, and what it returned or threw. */
async function read(of: Instant): Promise<{ ids: string[]; end: 'complete' | 'stopped' | undefined; error: unknown }> {
  const ids: string[] = [];
  const reader = readInstant(of);
  try {
    for (;;) {
      const step = await reader.next();
      if (step.done === true) return { ids, end: step.value, error: undefined };
      ids.push(step.value.id);
    }
  } catch (error) {
    return { ids, end: undefined, error };
  }
}

const ids = (from: number, to: number) => 'abcdefghij'.slice(from, to).split('');

describe('readInstant: the alerts sharing one boundary time', () => {
  it('reads ties that fill several pages completely, each once (no $skip cap: MDE)', async () => {
    const all = ids(0, 7);
    const { instant: of, skips } = instant((skip) => all.slice(skip, skip + 3), { skipLimit: { max: undefined, hint: 'h' } });
    expect(await read(of)).toEqual({ ids: all, end: 'complete', error: undefined });
    expect(skips).toEqual([0, 3, 6]);
  });

  it('at the $skip cap the pages overlap: the overlap is written once and the instant still proven (Graph)', async () => {
    const all = ids(0, 4);
    // $top 3, $skip at most 2: the second page starts at the cap, inside the first one.
    const { instant: of, skips } = instant((skip) => all.slice(skip, skip + 3));
    expect(await read(of)).toEqual({ ids: all, end: 'complete', error: undefined });
    expect(skips).toEqual([0, 2]);
  });

  it('past what $skip and $top reach: PAGING_STUCK (exit 5) after the alerts it could read, and no more requests', async () => {
    const all = ids(0, 6);
    const { instant: of, skips } = instant((skip) => all.slice(skip, skip + 3));
    const { ids: read_, error } = await read(of);
    expect(error).toMatchObject({
      code: 'PAGING_STUCK',
      exitCode: 5,
      message: `more than 5 alerts share lastUpdateDateTime ${AT}: more than Graph's $skip (at most 2) and $top (at most 3) can reach`,
      hint: 'narrow the range',
    });
    expect(read_).toEqual(ids(0, 5));
    expect(skips).toEqual([0, 2]);
  });

  it('pages that overlap below the cap (the order changed between requests) fail: an alert may be missing', async () => {
    // Five alerts; the second page repeats "c" and so never shows "e".
    const pages: Record<number, string[]> = { 0: ['a', 'b', 'c'], 3: ['c', 'd'] };
    const { instant: of } = instant((skip) => pages[skip] ?? [], { skipLimit: { max: 10, hint: 'h' } });
    const { ids: read_, error } = await read(of);
    expect(error).toMatchObject({
      code: 'PAGING_UNPROVEN',
      exitCode: 5,
      message: `more than 3 alerts share lastUpdateDateTime ${AT} and Graph answered them in a different order to each $skip request (4 distinct of 5); some may be missing`,
      hint: 'run again',
    });
    expect(read_).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a service that ignores $skip (the same full page again) fails at once instead of being asked forever (no cap)', async () => {
    // Bounded, so that a reader without the check fails rather than hangs.
    const { instant: of, skips } = instant((skip) => (skip < 100 ? ['a', 'b', 'c'] : []), {
      name: '2026-03-01T10:00:00.000Z',
      api: 'the API',
      skipLimit: { max: undefined, hint: 'raise --page-size' },
    });
    const { ids: read_, error } = await read(of);
    expect(error).toMatchObject({
      code: 'PAGING_UNPROVEN',
      exitCode: 5,
      message: 'the API answered $skip=3 with alerts it had already sent for 2026-03-01T10:00:00.000Z; the range cannot be proven complete',
      hint: 'raise --page-size',
    });
    expect(read_).toEqual(['a', 'b', 'c']);
    expect(skips).toEqual([0, 3]);
  });

  it("leaves out what the source's rule skips, and stops at the alert it calls the last (--limit)", async () => {
    const all = ids(0, 7);
    const take = (alert: AlertRecord): Take => (alert.id === 'a' ? 'skip' : alert.id === 'e' ? 'last' : 'write');
    const { instant: of, skips } = instant((skip) => all.slice(skip, skip + 3), { take, skipLimit: { max: undefined, hint: 'h' } });
    expect(await read(of)).toEqual({ ids: ['b', 'c', 'd', 'e'], end: 'stopped', error: undefined });
    expect(skips).toEqual([0, 3]);
  });
});
