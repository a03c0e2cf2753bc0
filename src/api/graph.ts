/**
 * Microsoft Graph `security/alerts_v2` (API-NOTES §3): `$filter` on `lastUpdateDateTime`, ordered
 * ascending (descending for `--limit`: the most recent n), `$top` ≤ 1000. A long backlog is paged by time boundary — the next page asks from the
 * last alert's `lastUpdateDateTime` — rather than by `$skip`, which Graph caps at 500. A 206 answer
 * with `Warning: 199` is partial (a provider failed): it is retried and never taken as complete.
 */
import { GraphAlertSchema, type GraphAlert } from '../alert/graph-schema.js';
import type { AlertQuery } from '../config/resolve.js';
import { ServiceError } from '../errors.js';
import { odataError, readPage, sameOriginLink, type ODataAlertKind, type ODataContext, type PageResult } from './odata-source.js';
import type { AlertRecord, AlertSource } from './source.js';
import { normalizeTimestamp } from '../state/timestamps.js';

/** Graph's documented maximum `$top` for alerts_v2. */
export const GRAPH_MAX_PAGE = 1000;

export interface GraphOptions {
  baseUrl: URL;
  pageSize: number;
  /** `serviceSource eq '…'` (e.g. microsoftDefenderForEndpoint); undefined = every product. */
  serviceSource: string | undefined;
}

const KIND: ODataAlertKind<GraphAlert> = { schema: GraphAlertSchema, id: (a) => a.id, updatedAt: (a) => a.lastUpdateDateTime };

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * A page's URL: alerts updated in [since, until], oldest first — or, for `--limit`, newest first
 * (the most recent n, as the SIEM API's `limit` means). `cursor` moves the near bound.
 */
export function buildGraphUrl(options: GraphOptions, query: AlertQuery, cursor: string | undefined, top: number, newestFirst = false): URL {
  const url = new URL(`${options.baseUrl.href.replace(/\/+$/, '')}/v1.0/security/alerts_v2`);
  const filters: string[] = [];
  const since = query.since?.toISOString();
  const until = query.until?.toISOString();
  const lower = newestFirst ? since : (cursor ?? since);
  const upper = newestFirst ? (cursor ?? until) : until;
  if (lower) filters.push(`lastUpdateDateTime ge ${lower}`);
  if (upper) filters.push(`lastUpdateDateTime le ${upper}`);
  if (options.serviceSource) filters.push(`serviceSource eq ${quote(options.serviceSource)}`);
  if (filters.length > 0) url.searchParams.set('$filter', filters.join(' and '));
  url.searchParams.set('$orderby', `lastUpdateDateTime ${newestFirst ? 'desc' : 'asc'}`);
  url.searchParams.set('$top', String(top));
  return url;
}

/** A 206 is partial content: Graph could not reach one of its providers (API-NOTES §3). */
export function checkGraphAnswer(status: number, headers: Record<string, string | string[] | undefined>): void {
  if (status !== 206) return;
  const warning = headers['warning'];
  const text = Array.isArray(warning) ? warning.join('; ') : (warning ?? 'no Warning header');
  throw new ServiceError('PARTIAL_ANSWER', `Graph answered 206 (partial: ${text}); not taken as complete`, {
    hint: 'a security provider behind Graph failed; try again later',
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
    const headers = { prefer: 'include-unknown-enum-members' };
    let total = 0;
    let cursor: string | undefined;
    // Keys of the alerts at the cursor's exact time: the next page (ge cursor) returns them again.
    let atCursor = new Set<string>();
    let url: URL | undefined;
    const topFor = () => (query.limit !== undefined ? Math.min(query.limit - total, this.#options.pageSize) : this.#options.pageSize);
    // --limit asks for the most recent n (as the SIEM API's limit does): page backwards in time.
    const newestFirst = query.limit !== undefined;
    const beyond = (time: string, mark: string) => (newestFirst ? time < mark : time > mark);
    try {
      url = buildGraphUrl(this.#options, query, cursor, topFor(), newestFirst);
      const origin = url;
      while (url) {
        const page: PageResult<GraphAlert> = { alerts: [], size: 0, nextLink: undefined };
        let fresh = 0;
        for await (const alert of readPage(url, KIND, this.#ctx, headers, page, signal, checkGraphAnswer)) {
          if (atCursor.has(alert.key)) continue;
          fresh++;
          yield alert;
          if (query.limit !== undefined && ++total >= query.limit) return;
        }
        const full = page.size >= Number(url.searchParams.get('$top') ?? this.#options.pageSize);
        if (!full && !page.nextLink) return;
        const last = page.alerts.at(-1);
        const lastTime = last ? normalizeTimestamp(last.lastUpdateDateTime) : undefined;
        if (fresh > 0 && last && lastTime !== undefined && (cursor === undefined || beyond(lastTime, normalizeTimestamp(cursor) ?? ''))) {
          // Time-boundary paging: continue from the last alert's time, skipping what we have there.
          cursor = last.lastUpdateDateTime;
          atCursor = new Set(page.alerts.filter((a) => a.lastUpdateDateTime === cursor).map((a) => `${a.id}|${a.lastUpdateDateTime}`));
          url = buildGraphUrl(this.#options, query, cursor, topFor(), newestFirst);
        } else if (page.nextLink) {
          // A whole page at one instant: only Graph's own link can move past it.
          url = sameOriginLink(page.nextLink, origin);
        } else if (full) {
          // Stopping here would silently drop the rest of this instant's alerts.
          throw new ServiceError('PAGING_STUCK', `more than ${page.size} alerts share lastUpdateDateTime ${cursor ?? '?'} and Graph sent no next link`, {
            hint: 'raise --page-size (at most 1000) so one page holds them',
          });
        } else {
          return;
        }
      }
    } catch (err) {
      throw odataError(err, 'Graph security API', 'SecurityAlert.Read.All (Microsoft Graph)');
    }
  }
}
