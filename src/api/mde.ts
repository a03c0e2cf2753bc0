/**
 * The Defender for Endpoint alerts API (API-NOTES §2): `GET {base}/api/alerts` with an OData
 * `$filter` on `lastUpdateTime` (or `alertCreationTime`), `$top` pages, `@odata.nextLink` to the
 * end, optional `$expand=evidence`. Limits: 100 calls a minute and 1 500 an hour, kept by a pacer.
 */
import { MdeAlertSchema, type MdeAlert } from '../alert/mde-schema.js';
import type { AlertQuery } from '../config/resolve.js';
import { odataError, readPage, sameOriginLink, type ODataAlertKind, type ODataContext, type PageResult } from './odata-source.js';
import type { AlertRecord, AlertSource } from './source.js';

/** `$top` may be at most 10 000 (Microsoft's documented maximum page size). */
export const MDE_MAX_PAGE = 10_000;

export type MdeFilterField = 'lastUpdateTime' | 'alertCreationTime';

export interface MdeOptions {
  baseUrl: URL;
  pageSize: number;
  filterOn: MdeFilterField;
  expandEvidence: boolean;
}

/** OData time literal: ISO-8601 UTC, unquoted (`lastUpdateTime ge 2024-05-01T10:00:00Z`). */
function odataTime(date: Date): string {
  return date.toISOString();
}

/** The first page's URL: only the filters given. */
export function buildMdeUrl(options: MdeOptions, query: AlertQuery): URL {
  const url = new URL(`${options.baseUrl.href.replace(/\/+$/, '')}/api/alerts`);
  const field = options.filterOn;
  const filters: string[] = [];
  if (query.since) filters.push(`${field} ge ${odataTime(query.since)}`);
  if (query.until) filters.push(`${field} le ${odataTime(query.until)}`);
  if (filters.length > 0) url.searchParams.set('$filter', filters.join(' and '));
  const top = query.limit !== undefined ? Math.min(query.limit, options.pageSize) : options.pageSize;
  url.searchParams.set('$top', String(top));
  if (options.expandEvidence) url.searchParams.set('$expand', 'evidence');
  return url;
}

export class MdeSource implements AlertSource {
  readonly api = 'mde';
  readonly #options: MdeOptions;
  readonly #ctx: ODataContext;
  readonly #kind: ODataAlertKind<MdeAlert>;

  constructor(options: MdeOptions, ctx: ODataContext) {
    this.#options = options;
    this.#ctx = ctx;
    const field = options.filterOn;
    this.#kind = { schema: MdeAlertSchema, id: (a) => a.id, updatedAt: (a) => (field === 'lastUpdateTime' ? a.lastUpdateTime : (a.alertCreationTime ?? a.lastUpdateTime)) };
  }

  async *fetch(query: AlertQuery, signal?: AbortSignal): AsyncGenerator<AlertRecord> {
    if (query.ago !== undefined || query.machineGroups.length > 0 || query.deviceTag || query.cloudTag) {
      // Rejected in config already; kept as a guard for programmatic use.
      throw new Error('the mde API takes --since/--until/--limit only');
    }
    const first = buildMdeUrl(this.#options, query);
    let url: URL | undefined = first;
    let total = 0;
    try {
      while (url) {
        const page: PageResult<MdeAlert> = { alerts: [], size: 0, nextLink: undefined };
        for await (const alert of readPage(url, this.#kind, this.#ctx, {}, page, signal)) {
          yield alert;
          if (query.limit !== undefined && ++total >= query.limit) return;
        }
        url = page.nextLink ? sameOriginLink(page.nextLink, first) : undefined;
      }
    } catch (err) {
      throw odataError(err, 'Defender for Endpoint alerts API', 'Alert.Read.All (WindowsDefenderATP)');
    }
  }
}
