import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgePage, SkipProof, splitRange } from '../../src/api/completeness.js';

const NONE = { kind: 'none' } as const;
const FOREIGN = { kind: 'foreign', origin: 'https://elsewhere.example' } as const;
const FOLLOW = { kind: 'follow', url: new URL('https://api.example/api/alerts?$skip=10') } as const;

describe('judgePage: which answers prove a range complete', () => {
  it('a short page without a link is the end', () => {
    expect(judgePage(3, 10, NONE)).toEqual({ kind: 'complete' });
    expect(judgePage(0, 10, NONE)).toEqual({ kind: 'complete' });
  });

  it('a full page without a link proves nothing (the API leaves the link out when $top is given)', () => {
    expect(judgePage(10, 10, NONE)).toEqual({ kind: 'unproven', why: 'no next link' });
  });

  it('a link on our own origin is followed, even from a short page', () => {
    expect(judgePage(10, 10, FOLLOW)).toEqual({ kind: 'follow', url: FOLLOW.url });
    expect(judgePage(4, 10, FOLLOW)).toEqual({ kind: 'follow', url: FOLLOW.url });
  });

  it('a foreign link is never followed: a full page is unproven, a short one still the end', () => {
    expect(judgePage(10, 10, FOREIGN)).toEqual({ kind: 'unproven', why: 'foreign next link' });
    expect(judgePage(9, 10, FOREIGN)).toEqual({ kind: 'complete' });
  });
});

describe('splitRange', () => {
  it('splits at the median of the alerts a full page returned (the count halves whatever the order)', () => {
    expect(splitRange({ since: 0, until: 1000 }, [10, 20, 30, 900])).toEqual([
      { since: 0, until: 30 },
      { since: 30, until: 1000 },
    ]);
  });

  it('falls back to the midpoint when no alert lies strictly inside', () => {
    expect(splitRange({ since: 0, until: 1000 }, [])).toEqual([
      { since: 0, until: 500 },
      { since: 500, until: 1000 },
    ]);
    expect(splitRange({ since: 0, until: 1000 }, [0, 0, 1000])).toEqual([
      { since: 0, until: 500 },
      { since: 500, until: 1000 },
    ]);
  });

  it('will not split below two milliseconds (the $filter literals carry milliseconds)', () => {
    expect(splitRange({ since: 5, until: 6 }, [5])).toBeUndefined();
    expect(splitRange({ since: 5, until: 5 }, [])).toBeUndefined();
    expect(splitRange({ since: 5, until: 7 }, [])).toEqual([
      { since: 5, until: 6 },
      { since: 6, until: 7 },
    ]);
  });

  it('property: the halves cover the range exactly, meet at one instant, and are each shorter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 42 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.array(fc.integer({ min: -10, max: 2 ** 43 })),
        (since, length, seen) => {
          const range = { since, until: since + length };
          const halves = splitRange(range, seen);
          if (length < 2) return halves === undefined;
          if (!halves) return false;
          const [a, b] = halves;
          return a.since === range.since && b.until === range.until && a.until === b.since && a.until > a.since && b.until > b.since;
        },
      ),
    );
  });
});

describe('SkipProof', () => {
  it('proves a set read when the pages brought as many distinct alerts as they had positions', () => {
    const proof = new SkipProof();
    expect(proof.record(['a', 'b'], 2)).toBe(2);
    expect(proof.record(['c'], 1)).toBe(1);
    expect(proof.complete(3)).toBe(true);
    expect(proof.has('b')).toBe(true);
    expect(proof.has('d')).toBe(false);
  });

  it('catches pages that overlapped because the order changed: one alert twice, another never', () => {
    const proof = new SkipProof();
    proof.record(['a', 'b'], 2);
    expect(proof.record(['b', 'c'], 2)).toBe(1);
    proof.record(['d'], 1);
    expect(proof.distinct).toBe(4);
    expect(proof.complete(5)).toBe(false);
  });

  it('counts invalid elements as positions, not as alerts', () => {
    const proof = new SkipProof();
    proof.record(['a'], 2); // one element failed validation
    proof.record(['b'], 1);
    expect(proof.complete(3)).toBe(true);
    expect(proof.complete(4)).toBe(false);
  });
});
