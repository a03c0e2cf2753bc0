/**
 * The SIEM alert-export API (docs/microsoft-apis.md §1):
 * `GET {base}/api/alerts?sinceTimeUtc&untilTimeUtc&…` answering one bare JSON array of flat
 * detections. Retired by Microsoft (deprecated 2023-12-31); when it is gone we say so and point
 * to the successor APIs.
 */
import { SIEM_BYTE_CHECK, SiemAlertSchema, type SiemAlert } from '../alert/siem-schema.js';
import { AuthError, ForbiddenError, NetworkError, ServiceError } from '../errors.js';
import { HttpStatusError, TransportError } from '../http/errors.js';
import { formatUtc } from '../time.js';
import { readAnswer } from './read-answer.js';
import type { AlertQuery, AlertRecord, AlertSource, SourceContext } from './source.js';

/** Microsoft's SIEM exporter hosts, in every cloud (`wdatp-alertexporter-<region>.…`). */
const EXPORTER_HOST = /^wdatp-alertexporter-[a-z]+\./i;

const RETIREMENT =
  'Microsoft retired the SIEM API (deprecated 31 Dec 2023); if your tenant no longer has it, use --api graph (Microsoft Graph security/alerts_v2, the recommended successor; add --schema siem to keep this layout) or --api mde';

/** Builds the request URL with only the parameters the user gave, times in ISO-8601 UTC. */
export function buildSiemUrl(base: URL, query: AlertQuery): URL {
  const url = new URL(`${base.href.replace(/\/+$/, '')}/api/alerts`);
  const p = url.searchParams;
  if (query.since) p.set('sinceTimeUtc', formatUtc(query.since));
  if (query.until) p.set('untilTimeUtc', formatUtc(query.until));
  if (query.ago !== undefined) p.set('ago', query.ago);
  if (query.limit !== undefined) p.set('limit', String(query.limit));
  for (const group of query.machineGroups) p.append('machinegroups', group);
  if (query.deviceTag !== undefined) p.set('DeviceCreatedMachineTags', query.deviceTag);
  if (query.cloudTag !== undefined) p.set('CloudCreatedMachineTags', query.cloudTag);
  return url;
}

/** The identity of one version of one detection: FullId tells detections of one AlertId apart. */
export function siemKey(alert: SiemAlert): string {
  return `${alert.FullId || alert.AlertId}|${alert.LastProcessedTimeUtc}`;
}

export interface SiemSourceOptions extends SourceContext {
  baseUrl: URL;
}

/** Maps what the exporter answered to the error a user can act on. */
export function siemError(err: unknown, url: URL): unknown {
  if (err instanceof HttpStatusError) {
    const where = `${url.origin}${url.pathname}`;
    switch (err.status) {
      case 401:
        return new AuthError('API_401', `the alert API ${where} rejected the access token (HTTP 401)`, {
          hint: "check --resource (https://WDATPAlertExport.Seville.onmicrosoft.com, or https://graph.windows.net for SIEM-wizard apps) and the app's API permission with admin consent",
        });
      case 403:
        return new ForbiddenError('API_403', `the alert API ${where} refused access (HTTP 403)`, {
          hint: "the app lacks permission to read alerts, or the tenant is not managed by this app's administrator",
        });
      case 404:
      case 410:
        return new ServiceError(
          `API_${err.status}`,
          `the alert API ${where} answered HTTP ${err.status}: the SIEM API is not available here`,
          {
            hint: RETIREMENT,
          },
        );
      default:
        return err;
    }
  }
  // Only Microsoft's own exporter host can have been retired: a --base-url of one's own (a
  // reverse proxy, the simulator) that does not resolve keeps the plain DNS advice.
  if (err instanceof TransportError && err.transportCode === 'ENOTFOUND' && EXPORTER_HOST.test(url.hostname)) {
    return new NetworkError('ENOTFOUND', err.message, { cause: err, hint: `${RETIREMENT}; otherwise check --region or --base-url` });
  }
  return err;
}

/** The SIEM alert-export API as an {@link AlertSource}. */
export class SiemSource implements AlertSource {
  readonly api = 'siem';
  readonly #options: SiemSourceOptions;

  constructor(options: SiemSourceOptions) {
    this.#options = options;
  }

  async *fetch(query: AlertQuery, signal?: AbortSignal): AsyncGenerator<AlertRecord> {
    const url = buildSiemUrl(this.#options.baseUrl, query);
    // One network chunk's alerts travel as one array through the retry loop: an async generator
    // layer costs a few promises per item, so per alert only the last one (below) remains.
    const answer = readAnswer({
      url,
      format: 'array',
      schema: SiemAlertSchema,
      byteCheck: SIEM_BYTE_CHECK,
      identify: (alert) => ({ id: alert.AlertId, updatedAt: alert.LastProcessedTimeUtc, key: siemKey(alert) }),
      ctx: this.#options,
      signal,
      identities: false,
      words: {
        requesting: 'requesting alerts',
        what: 'alerts request',
        started: 'alerts response started',
        complete: 'alerts answer complete',
      },
    });
    try {
      for await (const batch of answer) yield* batch;
    } catch (err) {
      throw siemError(err, url);
    }
  }
}
