/**
 * The answer of the simulated Defender for Endpoint alerts API (`GET /api/alerts` with an MDE
 * token) and Graph alerts_v2 (`GET /v1.0/security/alerts_v2`) to one page request: the store's
 * detections merged into alerts, the OData options applied, the page with its absolute
 * `@odata.nextLink`. No I/O: the server sends what this returns.
 */
import { SIMULATOR_CREDENTIALS } from './credentials.js';
import { GRAPH_DIALECT, graphRow } from './graph-alerts.js';
import { MDE_DIALECT, mdeRow } from './mde-alerts.js';
import { mergeDetections } from './merged-alert.js';
import { ODataQueryError, nextLink, odataErrorBody, parseODataQuery, selectPage, timeBounds, type ODataService } from './odata.js';
import { hashSeed } from './prng.js';
import type { AlertStore } from './store.js';
import { formatTicks, parseTimestamp, type Ticks } from './ticks.js';

export interface ODataAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Behaviours of the real services that the documentation does not promise, switched on one by one
 * (all off by default) so clients can be tested against them (docs/microsoft-apis.md).
 */
export interface ODataQuirks {
  /** Defender for Endpoint: no `@odata.nextLink` when the request has `$top`, as users of the real API report. */
  mdeNoNextLinkWithTop?: boolean;
  /** Defender for Endpoint: rows in an order unrelated to time (stable per alert id), as no order is documented. */
  mdeUnordered?: boolean;
  /** Both APIs: next links point to this origin instead of the one asked (a geo host linking to another). */
  nextLinkOrigin?: string;
}

export interface ODataRequest {
  service: ODataService;
  /** The request's URL (its path and query are used). */
  url: URL;
  /** Origin the client reached the simulator at (`https://127.0.0.1:49152`), for absolute links. */
  origin: string;
  now: Date;
  /** The tenant whose alerts these are (their `aadTenantId`/`tenantId`; default: the published tenant). */
  tenantId?: string | undefined;
  /** The request's `client-request-id`, echoed in Graph's errors. */
  clientRequestId?: string | undefined;
  quirks?: ODataQuirks | undefined;
}

// The store is read between these when a filter sets no bound: every alert it has.
const EARLIEST = parseTimestamp('1900-01-01T00:00:00Z') as Ticks;
const LATEST = parseTimestamp('9999-12-31T23:59:59.9999999Z') as Ticks;

const SERVICES = {
  mde: { dialect: MDE_DIALECT, updatedField: 'lastUpdateTime', context: '/api/$metadata#Alerts' },
  graph: { dialect: GRAPH_DIALECT, updatedField: 'lastUpdateDateTime', context: '/v1.0/$metadata#security/alerts_v2' },
} as const;

/** Answers one page request from `store`: 200 with the page, or 400 with the service's error JSON. */
export function odataAnswer(store: AlertStore, req: ODataRequest): ODataAnswer {
  const { dialect, updatedField, context } = SERVICES[req.service];
  let query;
  try {
    query = parseODataQuery(req.url.searchParams, dialect);
  } catch (e) {
    if (!(e instanceof ODataQueryError)) throw e;
    return { status: 400, body: odataErrorBody(req.service, 'BadRequest', e.message, req.now, req.clientRequestId) };
  }
  // Detections share their alert's update time, so reading only the filtered update-time range
  // keeps whole alerts while sparing the store from generating the rest.
  const bounds = timeBounds(query.conditions, updatedField);
  const since = bounds.since === undefined || bounds.since < EARLIEST ? EARLIEST : bounds.since;
  const until = bounds.until === undefined || bounds.until > LATEST ? LATEST : bounds.until;
  const { alerts } = store.query({ sinceTimeUtc: formatTicks(since), untilTimeUtc: formatTicks(until) }, req.now);
  const expandEvidence = query.expand.includes('evidence');
  const quirks = req.quirks ?? {};
  const merged = mergeDetections(alerts);
  if (req.service === 'mde' && quirks.mdeUnordered) {
    // A fixed order by id hash: new alerts land anywhere in it, as in an index the client cannot see.
    const rank = new Map(merged.map((a) => [a.id, hashSeed(0x5eed, ...Buffer.from(a.id, 'utf8'))]));
    merged.sort((a, b) => (rank.get(a.id) as number) - (rank.get(b.id) as number) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  const tenantId = req.tenantId ?? SIMULATOR_CREDENTIALS.tenantId;
  const rows = merged.map((a) => (req.service === 'mde' ? mdeRow(a, expandEvidence, tenantId) : graphRow(a, tenantId)));
  const page = selectPage(rows, query);

  const body: Record<string, unknown> = { '@odata.context': `${req.origin}${context}` };
  if (query.count) body['@odata.count'] = page.total;
  const omitLink = req.service === 'mde' && quirks.mdeNoNextLinkWithTop === true && req.url.searchParams.has('$top');
  const linkOrigin = quirks.nextLinkOrigin ?? req.origin;
  const link =
    page.nextSkip === undefined || omitLink
      ? undefined
      : nextLink(`${linkOrigin}${req.url.pathname}`, req.url.searchParams, page.nextSkip, query, dialect);
  // Graph writes the next link before `value`, Defender after it: clients must take either.
  if (link !== undefined && req.service === 'graph') body['@odata.nextLink'] = link;
  body['value'] = page.rows.map((r) => r.render());
  if (link !== undefined && req.service === 'mde') body['@odata.nextLink'] = link;
  return { status: 200, body };
}
