/**
 * Every alert of one instant (one boundary timestamp), read by `$skip`: both OData sources end up
 * here when a whole page shares one time. Moving the bound past the instant (`gt`) would drop the
 * rest of its alerts, and `$skip` alone pages a long range slowly (Graph caps it at 500), so only
 * the instant is paged by `$skip`, with both bounds pinned to it. No order is documented, so the
 * pages are proven not to have overlapped (SkipProof, completeness.ts). What differs between the
 * APIs (the URL and its filter syntax, `$top`, the `$skip` cap, the words of the errors) is passed in.
 */
import { ServiceError } from '../errors.js';
import { SkipProof } from './completeness.js';
import type { PageResult } from './read-answer.js';
import type { AlertRecord } from './source.js';
import { takeAlerts, type Take } from './take-alerts.js';

export interface Instant {
  /** How the errors name the instant: `2024-05-01T10:00:00.000Z`, `lastUpdateDateTime 2024-…`. */
  name: string;
  /** How the errors name the API: `the API`, `Graph`. */
  api: string;
  /** `$top` of every page. */
  top: number;
  /** Reads the page at `skip` (the API's URL with both bounds at the instant, its request, its counts). */
  page: (skip: number) => AsyncIterator<AlertRecord[], PageResult>;
  /** The source's rule for each alert no earlier page of the instant had (see takeAlerts). */
  take: (alert: AlertRecord) => Take;
  /**
   * The largest `$skip` the API takes (Graph: 500), or undefined for none. Past the cap the
   * pages overlap, and an instant they cannot reach fails (PAGING_STUCK) with `hint`. Without a
   * cap, a full page of nothing new means the service ignores `$skip` and would be asked forever:
   * that fails too (PAGING_UNPROVEN), with the same `hint`.
   */
  skipLimit: { max: number | undefined; hint: string };
  /** What to do when the pages overlapped below the cap (the order changed between requests). */
  unorderedHint: string;
}

/**
 * Reads every alert of `instant`, yielding those `take` lets through, each once. Returns 'stopped'
 * once `take` said 'last' (`--limit` reached), else 'complete' once a short page proved that every
 * position held its own alert. Fails with PAGING_UNPROVEN or PAGING_STUCK (exit 5) when that
 * cannot be proven: stopping early would silently drop the rest of the instant's alerts.
 */
export async function* readInstant(instant: Instant): AsyncGenerator<AlertRecord, 'complete' | 'stopped'> {
  const { name, api, top, skipLimit } = instant;
  const max = skipLimit.max;
  const proof = new SkipProof();
  // Pages overlap once $skip reaches its cap: what an earlier page (or the caller) wrote is skipped.
  const take = (alert: AlertRecord): Take => (proof.has(alert.key) ? 'skip' : instant.take(alert));
  for (let skip = 0; ;) {
    const page = yield* takeAlerts(instant.page(skip), take);
    if (page === undefined) return 'stopped';
    const fresh = proof.record(
      page.alerts.map((a) => a.key),
      page.size,
    );
    const end = skip + page.size;
    if (max === undefined && page.size >= top && fresh === 0) {
      throw new ServiceError(
        'PAGING_UNPROVEN',
        `${api} answered $skip=${skip} with alerts it had already sent for ${name}; the range cannot be proven complete`,
        { hint: skipLimit.hint },
      );
    }
    if (page.size < top) {
      if (proof.complete(end)) return 'complete';
      throw new ServiceError(
        'PAGING_UNPROVEN',
        `more than ${top} alerts share ${name} and ${api} answered them in a different order to each $skip request (${proof.distinct} distinct of ${end}); some may be missing`,
        { hint: instant.unorderedHint },
      );
    }
    if (max !== undefined && skip >= max) {
      throw new ServiceError(
        'PAGING_STUCK',
        `more than ${end} alerts share ${name}: more than ${api}'s $skip (at most ${max}) and $top (at most ${top}) can reach`,
        { hint: skipLimit.hint },
      );
    }
    skip = max === undefined ? end : Math.min(end, max);
  }
}
