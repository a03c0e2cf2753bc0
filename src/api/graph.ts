/**
 * Microsoft Graph `security/alerts_v2` (docs/microsoft-apis.md): `$filter` on `lastUpdateDateTime`, ordered
 * ascending (descending for `--limit`: the most recent n), `$top` ≤ 1000. A long backlog is paged by time boundary — the next page asks from the
 * last alert's `lastUpdateDateTime` — rather than by `$skip`, which Graph caps at 500; only inside
 * one instant that fills a whole page (a bulk change) is `$skip` used. Next links are not needed
 * and never followed. A 206 answer with `Warning: 199` is partial (a provider failed): it is
 * retried and never taken as complete.
 */
import { GRAPH_BYTE_CHECK, GraphAlertSchema, type GraphAlert } from '../alert/graph-schema.js';
import { ServiceError } from '../errors.js';
import { GRAPH_MAX_PAGE, GRAPH_MAX_SKIP } from '../microsoft.js';
import { readInstant } from './instant-reader.js';
import { odataError, readPage, type ODataAlertKind, type ODataContext } from './odata-source.js';
import { filterClauses, NO_FILTERS, quote, type AlertFilters } from './odata-filters.js';
import type { PageResult } from './read-answer.js';
import type { AlertQuery, AlertRecord, AlertSource } from './source.js';
import { takeAlerts, type Take } from './take-alerts.js';
import { normalizeTimestamp } from '../time.js';

export interface GraphOptions {
  baseUrl: URL;
  pageSize: number;
  /** `serviceSource eq '…'` (e.g. microsoftDefenderForEndpoint); undefined = every product. */
  serviceSource: string | undefined;
  /** `--severity`, `--status`, `--detection-source` (absent: none). */
  filters?: AlertFilters | undefined;
}

/** Without it, Graph answers an evolvable enum's members added after `unknownFutureValue` as that sentinel. */
const HEADERS = { prefer: 'include-unknown-enum-members' };

const KIND: ODataAlertKind<GraphAlert> = {
  schema: GraphAlertSchema,
  byteCheck: GRAPH_BYTE_CHECK,
  id: (a) => a.id,
  updatedAt: (a) => a.lastUpdateDateTime,
};

/** Where a page starts: the near bound moved to `at`, excluding that instant itself when `exclusive`. */
export interface GraphCursor {
  at: string;
  exclusive: boolean;
}

/** Which page of a query to ask for. */
export interface GraphPage {
  top: number;
  /** Moves the near bound (absent: the query's own). */
  cursor?: GraphCursor | undefined;
  /** For `--limit`: newest first (the most recent n, as the SIEM API's `limit` means). */
  newestFirst?: boolean | undefined;
  /** Pins both bounds to one instant and pages through it with `$skip` (the cursor is then unused). */
  tie?: { at: string; skip: number } | undefined;
}

/** A page's URL: alerts updated in [since, until], oldest first — or, for `--limit`, newest first. */
export function buildGraphUrl(options: GraphOptions, query: AlertQuery, page: GraphPage): URL {
  const { cursor, top, newestFirst = false, tie } = page;
  const url = new URL(`${options.baseUrl.href.replace(/\/+$/, '')}/v1.0/security/alerts_v2`);
  const filters: string[] = [];
  const since = query.since?.toISOString();
  const until = query.until?.toISOString();
  if (tie) {
    filters.push(`lastUpdateDateTime ge ${tie.at}`, `lastUpdateDateTime le ${tie.at}`);
  } else {
    const near = cursor ? `${cursor.exclusive ? (newestFirst ? 'lt' : 'gt') : newestFirst ? 'le' : 'ge'} ${cursor.at}` : undefined;
    const lower = newestFirst ? (since ? `ge ${since}` : undefined) : (near ?? (since ? `ge ${since}` : undefined));
    const upper = newestFirst ? (near ?? (until ? `le ${until}` : undefined)) : until ? `le ${until}` : undefined;
    if (lower) filters.push(`lastUpdateDateTime ${lower}`);
    if (upper) filters.push(`lastUpdateDateTime ${upper}`);
  }
  if (options.serviceSource) filters.push(`serviceSource eq ${quote(options.serviceSource)}`);
  filters.push(...filterClauses(options.filters ?? NO_FILTERS));
  if (filters.length > 0) url.searchParams.set('$filter', filters.join(' and '));
  url.searchParams.set('$orderby', `lastUpdateDateTime ${newestFirst ? 'desc' : 'asc'}`);
  url.searchParams.set('$top', String(top));
  if (tie && tie.skip > 0) url.searchParams.set('$skip', String(tie.skip));
  return url;
}

/** A 206 is partial content: Graph could not reach one of its providers (docs/microsoft-apis.md §3). */
export function checkGraphAnswer(status: number, headers: Record<string, string | string[] | undefined>): void {
  if (status !== 206) return;
  const warning = headers['warning'];
  const text = Array.isArray(warning) ? warning.join('; ') : (warning ?? 'no Warning header');
  throw new ServiceError('PARTIAL_ANSWER', `Graph answered 206 (partial: ${text}); not taken as complete`, {
    hint: 'a security provider behind Graph failed; try again later',
    // As transient as a 5xx: asked again, it is usually whole.
    retryable: true,
  });
}

export class GraphSource implements AlertSource {
  readonly api = 'graph';
  readonly #options: GraphOptions;
  readonly #ctx: ODataContext;

  constructor(options: GraphOptions, ctx: ODataContext) {
    this.#options = options;
    this.#ctx = ctx;
  }

  async *fetch(query: AlertQuery, signal?: AbortSignal): AsyncGenerator<AlertRecord> {
    const limit = query.limit;
    let total = 0;
    let cursor: GraphCursor | undefined;
    // Keys of the alerts at the cursor's exact time: the next page (ge cursor) returns them again.
    let atCursor = new Set<string>();
    const topFor = () => (limit !== undefined ? Math.min(limit - total, this.#options.pageSize) : this.#options.pageSize);
    // --limit asks for the most recent n (as the SIEM API's limit does): page backwards in time.
    const newestFirst = limit !== undefined;
    const beyond = (time: string, mark: string) => (newestFirst ? time < mark : time > mark);
    const take = (alert: AlertRecord): Take =>
      atCursor.has(alert.key) ? 'skip' : limit !== undefined && ++total >= limit ? 'last' : 'write';
    let requests = 0;
    const read = (url: URL): AsyncGenerator<AlertRecord[], PageResult> => {
      requests++;
      return readPage({ url, kind: KIND, ctx: this.#ctx, headers: HEADERS, signal, checkAnswer: checkGraphAnswer });
    };
    let ties = 0;
    try {
      for (;;) {
        const url = buildGraphUrl(this.#options, query, { cursor, top: topFor(), newestFirst });
        const top = Number(url.searchParams.get('$top'));
        const page = yield* takeAlerts(read(url), take);
        if (page === undefined) return;
        // Time-boundary paging needs no next link: a short page without one is the end of the range.
        // (A short page with a link is Graph paging on its own: go on from its last alert.)
        if (page.size < top && page.nextLink === undefined) break;
        const last = page.alerts.at(-1);
        const lastTime = last ? normalizeTimestamp(last.updatedAt) : undefined;
        if (!last || lastTime === undefined) {
          throw new ServiceError('PAGING_STUCK', `Graph answered a full page of ${page.size} alerts without one valid alert to page on`);
        }
        const mark = cursor ? normalizeTimestamp(cursor.at) : undefined;
        if (cursor === undefined || mark === undefined || beyond(lastTime, mark)) {
          // Continue from the last alert's time, skipping what we have there.
          cursor = { at: last.updatedAt, exclusive: false };
          atCursor = new Set(page.alerts.filter((a) => normalizeTimestamp(a.updatedAt) === lastTime).map((a) => a.key));
          continue;
        }
        // A whole page at the cursor's instant (a bulk change in the portal): $skip through it,
        // skipping what the pages at that instant already wrote.
        ties++;
        for (const alert of page.alerts) atCursor.add(alert.key);
        const at = cursor.at;
        // `$skip` over `lastUpdateDateTime eq at` (ge and le). Graph caps `$skip` at 500, so with
        // `$top` at its maximum an instant of up to 1 500 alerts can be read; past that, exit 5.
        const instant = readInstant({
          name: `lastUpdateDateTime ${at}`,
          api: 'Graph',
          top: GRAPH_MAX_PAGE,
          page: (skip) => read(buildGraphUrl(this.#options, query, { top: GRAPH_MAX_PAGE, newestFirst, tie: { at, skip } })),
          take,
          skipLimit: { max: GRAPH_MAX_SKIP, hint: 'narrow the range with --since/--until or --service-source; please report it' },
          unorderedHint: 'run again; if it persists, please report it',
        });
        if ((yield* instant) === 'stopped') return;
        cursor = { at, exclusive: true };
        atCursor = new Set();
      }
    } catch (err) {
      throw odataError(err, 'Graph security API', 'SecurityAlert.Read.All (Microsoft Graph)');
    }
    this.#ctx.log.debug(
      { since: query.since?.toISOString() ?? null, until: query.until?.toISOString() ?? null, requests, ties },
      `range read in ${requests} request(s) by time boundary${ties > 0 ? `, ${ties} instant(s) read with $skip` : ''}, ended by a short page`,
    );
  }
}
