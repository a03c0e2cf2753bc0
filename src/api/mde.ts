/**
 * The Defender for Endpoint alerts API (docs/microsoft-apis.md): `GET {base}/api/alerts` with an
 * OData `$filter` on `lastUpdateTime` (or `alertCreationTime`), `$top` pages, optional
 * `$expand=evidence`. Limits: 100 calls a minute and 1 500 an hour, kept by a pacer.
 *
 * The service is trusted only as far as it proves itself (completeness.ts): it may leave out
 * `@odata.nextLink` when the request has `$top`, link to another host, and it documents no order.
 * A full page without a link is first checked by one request past its end (`$skip`, `$top=1`):
 * an empty answer proves that the range ended at the page boundary. Otherwise, and for a link to
 * another host, the range is read again as two shorter time ranges, each until it comes back short
 * (or is proven so); a range of one millisecond that is still full is read with `$skip` and checked
 * for repeats. Alerts a continuation reads twice are written once.
 */
import { MDE_BYTE_CHECK, MdeAlertSchema, type MdeAlert } from '../alert/mde-schema.js';
import { ServiceError } from '../errors.js';
import { dateOf, normalizeTimestamp } from '../time.js';
import { HttpStatusError } from '../http/errors.js';
import { judgeEndProof, judgePage, splitRange, type MsRange } from './completeness.js';
import { readInstant } from './instant-reader.js';
import { classifyNextLink, odataError, readPage, type ODataAlertKind, type ODataContext } from './odata-source.js';
import type { PageResult } from './read-answer.js';
import { SeenKeys } from './seen-keys.js';
import { filterClauses, NO_FILTERS, type AlertFilters } from './odata-filters.js';
import type { AlertQuery, AlertRecord, AlertSource } from './source.js';
import { takeAlerts, type Take } from './take-alerts.js';

export type MdeFilterField = 'lastUpdateTime' | 'alertCreationTime';

export interface MdeOptions {
  baseUrl: URL;
  pageSize: number;
  filterOn: MdeFilterField;
  expandEvidence: boolean;
  /** `--severity`, `--status`, `--detection-source` (absent: none). */
  filters?: AlertFilters | undefined;
  /** The clock that ends a range without `--until` once it has to be split (default: the system clock). */
  now?: () => Date;
}

/** A range of the filter field; an open end is no bound at all in the request. */
export interface MdeRange {
  since?: Date | undefined;
  until?: Date | undefined;
}

/** OData time literal: ISO-8601 UTC, unquoted (`lastUpdateTime ge 2024-05-01T10:00:00Z`). */
function odataTime(date: Date): string {
  return date.toISOString();
}

/** A page's URL: only the bounds given, `$top`, and `$skip` when continuing inside one instant or proving an end. */
export function buildMdeUrl(options: MdeOptions, range: MdeRange, top: number, skip = 0): URL {
  const url = new URL(`${options.baseUrl.href.replace(/\/+$/, '')}/api/alerts`);
  const field = options.filterOn;
  const filters: string[] = [];
  if (range.since) filters.push(`${field} ge ${odataTime(range.since)}`);
  if (range.until) filters.push(`${field} le ${odataTime(range.until)}`);
  filters.push(...filterClauses(options.filters ?? NO_FILTERS));
  if (filters.length > 0) url.searchParams.set('$filter', filters.join(' and '));
  url.searchParams.set('$top', String(top));
  if (skip > 0) url.searchParams.set('$skip', String(skip));
  if (options.expandEvidence) url.searchParams.set('$expand', 'evidence');
  return url;
}

/** How a range was read, for the debug log (and tests). */
interface RangeReport {
  /** Every request, the end proofs included. */
  requests: number;
  splits: number;
  skipPages: number;
  /** Requests past a full page without a next link, asking whether the range ended there. */
  proofs: number;
}

/** What a full page without a usable link is warned about (each once a source). */
type Quirk =
  /** The link pointed to another host. */
  | 'foreign next link'
  /** No link, and the end proof found more alerts: the API left the link out. */
  | 'link left out'
  /** No link, and no end proof to tell whether more exist (the API refused `$skip`). */
  | 'no next link';

/** The state of one fetch() call. */
interface Run {
  limit: number | undefined;
  /** Every key written by this call. Looked up only once a continuation re-reads part of a range. */
  written: SeenKeys;
  rereading: boolean;
  total: number;
  report: RangeReport;
  signal: AbortSignal | undefined;
}

export class MdeSource implements AlertSource {
  readonly api = 'mde';
  readonly #options: MdeOptions;
  readonly #ctx: ODataContext;
  readonly #kind: ODataAlertKind<MdeAlert>;
  /** Quirks already warned about in this run: each is said once, not once a page. */
  readonly #warned = new Set<Quirk>();
  /**
   * Whether a full page without a next link is first given an end proof, and if not, why not. Once
   * the API has left a link out with more to come, or refused the proof's `$skip`, another proof
   * would almost always be one request more before the same split: a piece of a split range seldom
   * ends exactly at a page boundary, and the API's limit is 100 calls a minute.
   */
  #endProofs: 'ask' | Exclude<Quirk, 'foreign next link'> = 'ask';

  constructor(options: MdeOptions, ctx: ODataContext) {
    this.#options = options;
    this.#ctx = ctx;
    const field = options.filterOn;
    this.#kind = {
      schema: MdeAlertSchema,
      byteCheck: MDE_BYTE_CHECK,
      id: (a) => a.id,
      updatedAt: (a) => (field === 'lastUpdateTime' ? a.lastUpdateTime : (a.alertCreationTime ?? a.lastUpdateTime)),
    };
  }

  async *fetch(query: AlertQuery, signal?: AbortSignal): AsyncGenerator<AlertRecord> {
    if (query.ago !== undefined || query.machineGroups.length > 0 || query.deviceTag || query.cloudTag) {
      // Rejected in config already; kept as a guard for programmatic use.
      throw new Error('the mde API takes --since/--until/--limit only');
    }
    const limit = query.limit;
    const top = limit !== undefined ? Math.min(limit, this.#options.pageSize) : this.#options.pageSize;
    // Where a split range ends when the query has no --until: this moment (later alerts are the next run's).
    const openUntil = (this.#options.now ?? (() => new Date()))();
    const run: Run = {
      limit,
      written: new SeenKeys(),
      rereading: false,
      total: 0,
      report: { requests: 0, splits: 0, skipPages: 0, proofs: 0 },
      signal,
    };
    const report = run.report;
    // Ranges still to read, the oldest last (popped first).
    const todo: MdeRange[] = [{ since: query.since, until: query.until }];

    try {
      while (todo.length > 0) {
        const range = todo.pop() as MdeRange;
        let url = buildMdeUrl(this.#options, range, top);
        // Elements the range's pages held so far, along its chain of next links: where an end proof skips to.
        let read = 0;
        for (;;) {
          const page = yield* takeAlerts(this.#page(url, run), (alert) => take(alert, run));
          if (page === undefined) return;
          read += page.size;
          const link = classifyNextLink(page.nextLink, this.#options.baseUrl);
          const verdict = judgePage(page.size, top, link);
          if (verdict.kind === 'complete') break;
          if (verdict.kind === 'follow') {
            url = verdict.url;
            continue;
          }
          const bounds: MsRange = { since: range.since?.getTime() ?? 0, until: range.until?.getTime() ?? openUntil.getTime() };
          const times = page.alerts.map((a) => timeMs(a.updatedAt)).filter((t) => !Number.isNaN(t));
          // Splitting narrows the $filter; a service that ignores it would be split forever.
          const outside =
            range.since !== undefined || range.until !== undefined ? times.find((t) => t < bounds.since || t > bounds.until) : undefined;
          if (outside !== undefined) {
            throw new ServiceError(
              'FILTER_IGNORED',
              `the API answered an alert updated at ${new Date(outside).toISOString()}, outside the range asked for (${new Date(bounds.since).toISOString()} to ${new Date(bounds.until).toISOString()}): the range cannot be proven complete`,
              {
                hint: 'check --base-url: it must be the Defender for Endpoint API itself; please report it if it is',
              },
            );
          }
          // A foreign link says itself that there is more; a missing one may only mean the end.
          const quirk = verdict.why === 'foreign next link' ? verdict.why : await this.#proveEnd(range, read, run);
          if (quirk === 'ended') break;
          this.#warnOnce(quirk, link.kind === 'foreign' ? link.origin : undefined, top);
          // Read the range again in two halves; what this page wrote is skipped when it comes again.
          run.rereading = true;
          const halves = splitRange(bounds, times);
          if (halves) {
            report.splits++;
            const [older, newer] = halves;
            todo.push(
              { since: new Date(newer.since), until: new Date(newer.until) },
              { since: new Date(older.since), until: new Date(older.until) },
            );
          } else if ((yield* this.#readInstant({ since: new Date(bounds.since), until: new Date(bounds.until) }, top, run)) === 'stopped') {
            return;
          }
          break;
        }
      }
    } catch (err) {
      throw odataError(err, 'Defender for Endpoint alerts API', 'Alert.Read.All (WindowsDefenderATP)');
    }
    this.#ctx.log.debug(
      { since: query.since?.toISOString() ?? null, until: query.until?.toISOString() ?? null, ...report },
      rangeSummary(report),
    );
  }

  /**
   * After a full page without a next link, which had `read` elements of `range` with the pages
   * linked before it: asks for the element after them (`$skip` = `read`, `$top=1`) and judges the
   * answer (judgeEndProof). Returns 'ended' when the range was read, else the quirk to warn about.
   *
   * The proof asks with the very filter of the page, even when the range has no end: a split ends
   * an open range at `openUntil`, but the page may hold alerts newer than that, so counting that
   * narrower set would prove nothing about it. Alerts only join an open range while it is read (an
   * update moves `lastUpdateTime` later, still inside), so an empty answer now means the filter
   * matched at most `read` alerts when the page was read too: the page had them all. One that
   * leaves a bounded range is read in its newer version by a later one. The answer's alert is not
   * written (the split re-reads it; one that fails validation is reported there).
   */
  async #proveEnd(range: MdeRange, read: number, run: Run): Promise<'ended' | Exclude<Quirk, 'foreign next link'>> {
    if (this.#endProofs !== 'ask') return this.#endProofs;
    run.report.requests++;
    run.report.proofs++;
    const ctx: ODataContext = { ...this.#ctx, onInvalid: () => {} };
    let answer: PageResult;
    try {
      const reading = readPage({ url: buildMdeUrl(this.#options, range, 1, read), kind: this.#kind, ctx, signal: run.signal });
      // Its alerts are not written: see above.
      let step = await reading.next();
      while (step.done !== true) step = await reading.next();
      answer = step.value;
    } catch (err) {
      // A service that refuses $skip here: no proof, so the range is split as without one.
      if (!(err instanceof HttpStatusError && err.status === 400)) throw err;
      this.#ctx.log.debug({ skip: read, status: err.status }, 'the API refused the end proof ($skip); full pages are split');
      this.#endProofs = 'no next link';
      return this.#endProofs;
    }
    if (judgeEndProof(answer.size) === 'more') {
      this.#endProofs = 'link left out';
      return this.#endProofs;
    }
    this.#ctx.log.debug(
      { skip: read },
      `a full page without an @odata.nextLink: one extra request ($skip=${read}, $top=1) proved that the range ended at the page boundary`,
    );
    return 'ended';
  }

  /**
   * A range too short to split (one millisecond) that still fills a page: `$skip` through it
   * (instant-reader.ts). The API documents no cap on `$skip`.
   */
  #readInstant(range: MdeRange, top: number, run: Run): AsyncGenerator<AlertRecord, 'complete' | 'stopped'> {
    return readInstant({
      name: range.since?.toISOString() ?? '?',
      api: 'the API',
      top,
      page: (skip) => {
        run.report.skipPages++;
        return this.#page(buildMdeUrl(this.#options, range, top, skip), run);
      },
      take: (alert) => take(alert, run),
      skipLimit: { max: undefined, hint: 'please report it; raising --page-size so one page holds them avoids $skip' },
      unorderedHint: 'raise --page-size (at most 10000) so one page holds them, then run again',
    });
  }

  /** Reads one page (counted in the report). */
  #page(url: URL, run: Run): AsyncGenerator<AlertRecord[], PageResult> {
    run.report.requests++;
    return readPage({ url, kind: this.#kind, ctx: this.#ctx, signal: run.signal });
  }

  #warnOnce(why: Quirk, origin: string | undefined, top: number): void {
    if (this.#warned.has(why)) return;
    this.#warned.add(why);
    const log = this.#ctx.log;
    if (why === 'foreign next link') {
      log.warn(
        { nextLinkOrigin: origin },
        `the API's @odata.nextLink points to another host (${origin ?? '?'}); not followed, so the token stays with ${this.#options.baseUrl.origin}: the rest is read from there by narrower time ranges`,
      );
    } else if (why === 'link left out') {
      log.warn(
        { top },
        `the API answered a full page of ${top} alerts without an @odata.nextLink although more alerts match (it left the link out); the rest is read by narrower time ranges`,
      );
    } else {
      log.warn(
        { top },
        `the API answered a full page of ${top} alerts without an @odata.nextLink (it omits the link when the request has $top); the rest is read by narrower time ranges`,
      );
    }
  }
}

/**
 * What a fetch() does with each alert of a page: once a continuation re-reads part of a range,
 * what it wrote before is left out; the alert that reaches --limit is the last.
 */
function take(alert: AlertRecord, run: Run): Take {
  if (run.rereading && run.written.has(alert.key)) return 'skip';
  run.written.add(alert.key);
  return run.limit !== undefined && ++run.total >= run.limit ? 'last' : 'write';
}

/** The debug line that says how a fetch() read its range. */
function rangeSummary(report: RangeReport): string {
  const read = `range read in ${report.requests} request(s)`;
  if (report.splits + report.skipPages > 0) {
    const proven = report.proofs > 0 ? ' or proven by an end proof to end at a full one' : '';
    return `${read}: split ${report.splits} time(s), ${report.skipPages} $skip page(s) and ${report.proofs} end proof(s), every piece ended by a short page${proven}`;
  }
  // Unsplit, a proof can only have been the one that found the end (any other answer splits).
  if (report.proofs > 0) return `${read}, ended at a full page: one more request found nothing past it`;
  return `${read}, ended by a short page`;
}

/** Epoch ms of an alert's filter-field time (NaN when it is not a timestamp). */
function timeMs(time: string): number {
  const normalized = normalizeTimestamp(time);
  return normalized === undefined ? Number.NaN : dateOf(normalized).getTime();
}
