/**
 * When has a paged API proven that a range was read to its end? Pure rules, shared by the OData
 * sources (mde.ts, graph.ts) and tested with plain values.
 *
 * The proof is an answer that held fewer alerts than were asked for (`$top`), or a chain of the
 * API's own next links that ended on such a page. A full page proves nothing by itself, whatever
 * it says: the Defender for Endpoint API leaves out `@odata.nextLink` when the request has `$top`,
 * and documents no order, so a full page without a link may be any `$top` alerts of many more
 * (docs/microsoft-apis.md). One request past it can still prove that it was the last
 * (judgeEndProof); failing that, the range is read again in smaller pieces, each proven on its own.
 */
import type { NextLink } from './odata-source.js';

/** A time range, both ends inclusive, in epoch milliseconds (what the `$filter` literals carry). */
export interface MsRange {
  since: number;
  until: number;
}

/** What one page says about the range it was asked for. */
export type PageVerdict =
  /** The page held fewer alerts than asked for, and no link to follow: the range is read. */
  | { kind: 'complete' }
  /** The API linked to the rest on our own origin. */
  | { kind: 'follow'; url: URL }
  /** A full page (or one linking elsewhere) without a usable link: the rest must be asked for another way. */
  | { kind: 'unproven'; why: 'no next link' | 'foreign next link' };

/**
 * The verdict on one page of `size` elements (valid or not) asked for with `$top` = `top`.
 * A same-origin link is always followed, even from a short page: the API says there is more.
 * A foreign link is never followed (the token stays with our origin); a short page still proves
 * the end, a full one does not.
 */
export function judgePage(size: number, top: number, link: NextLink): PageVerdict {
  if (link.kind === 'follow') return { kind: 'follow', url: link.url };
  if (size < top) return { kind: 'complete' };
  return { kind: 'unproven', why: link.kind === 'foreign' ? 'foreign next link' : 'no next link' };
}

/**
 * What the answer to the end proof says: after a page (or a chain of next links) that returned
 * `read` elements of a range, full and without a link, the same request with `$skip` = `read` and
 * `$top=1` held `size` elements. `$skip` counts rows whatever their order: an empty answer says
 * the filter matched at most `read` rows, so the `read` distinct rows already returned were all
 * of them (the range ended at the page boundary). Any element there means there is more, and a
 * missing link cannot be taken for the end.
 */
export function judgeEndProof(size: number): 'ended' | 'more' {
  return size === 0 ? 'ended' : 'more';
}

/**
 * Two smaller ranges that together cover `range` (they share the split instant, so an alert there
 * is read twice and suppressed as a repeat), or undefined when the range is too short to split at
 * millisecond precision. `seenMs` are the times of the alerts a full page returned: splitting at
 * their median halves the count however the API orders its rows, and finds where the alerts are
 * when the range has no lower bound; the midpoint is the fallback. Any split instant is sound,
 * since each piece is proven on its own.
 */
export function splitRange(range: MsRange, seenMs: readonly number[]): [MsRange, MsRange] | undefined {
  if (range.until - range.since < 2) return undefined;
  const inside = seenMs.filter((t) => t > range.since && t < range.until).sort((a, b) => a - b);
  const median = inside[Math.floor(inside.length / 2)];
  const at = median ?? range.since + Math.floor((range.until - range.since) / 2);
  return [
    { since: range.since, until: at },
    { since: at, until: range.until },
  ];
}

/**
 * The proof that `$skip` pages over one fixed set (the alerts of one instant) read every element.
 * Without a documented order two requests may order the set differently; then some element comes
 * twice and another never. After a short page the set held `end` elements (the last page's
 * `$skip` plus its size), so as many distinct ones must have come — invalid ones counted apart.
 */
export class SkipProof {
  readonly #seen = new Set<string>();
  #invalid = 0;

  /** Whether `key` came in a page recorded so far. */
  has(key: string): boolean {
    return this.#seen.has(key);
  }

  /** Records a page of `size` elements (valid or not) whose valid ones have `keys`; returns how many were new. */
  record(keys: Iterable<string>, size: number): number {
    const before = this.#seen.size;
    let valid = 0;
    for (const key of keys) {
      this.#seen.add(key);
      valid++;
    }
    this.#invalid += size - valid;
    return this.#seen.size - before;
  }

  get distinct(): number {
    return this.#seen.size;
  }

  /** After a short page ending at position `end`: whether every position held its own element. */
  complete(end: number): boolean {
    return this.#seen.size + this.#invalid === end;
  }
}
