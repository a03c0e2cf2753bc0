/**
 * What the OData APIs (Defender for Endpoint alerts, Graph alerts_v2) share: GET a page, stream the
 * alerts of its `value` as they arrive, validate each, and go on to the next page. Which page comes
 * next is each API's own business (`nextPage`): MDE follows `@odata.nextLink`, Graph pages by time.
 */
import type { z } from 'zod';
import type { ByteCheck, CheckedFields } from '../alert/byte-check.js';
import { AuthError, ForbiddenError, ServiceError } from '../errors.js';
import { HttpStatusError } from '../http/errors.js';
import { withRetries } from '../http/retry-loop.js';
import { send } from '../http/send.js';
import type { Pacer } from '../http/pacer.js';
import { ODataPageSplitter } from '../json/odata-page.js';
import { AlertGate, type Identity } from './alert-gate.js';
import type { AlertRecord, SourceContext } from './source.js';

export interface ODataContext extends SourceContext {
  /** Paces the requests to the API's documented rate limit (both OData APIs have one), and learns from a 429. */
  pacer?: Pacer | undefined;
}

/** One API's alert shape, as the shared page reader needs it. */
export interface ODataAlertKind<T> {
  schema: z.ZodType<T>;
  /**
   * Checks a valid alert on its bytes, extracting every field `id` and `updatedAt` read, so that
   * nearly every alert skips JSON.parse and zod (see ../alert/byte-check.ts).
   */
  byteCheck?: ByteCheck;
  id: (alert: T) => string;
  /** The field the API pages and checkpoints on. */
  updatedAt: (alert: T) => string;
}

/** The identity of this version of an alert (`AlertRecord.key`): its id and update time. */
export function keyOf<T>(kind: ODataAlertKind<T>, alert: T): string {
  return `${kind.id(alert)}|${kind.updatedAt(alert)}`;
}

/** One page's outcome, for deciding the next request. */
export interface PageResult {
  /**
   * The identities of the page's valid alerts, in order: all paging needs. Not the alerts
   * themselves, so a page of 10 000 holds no parsed objects (nor needs any: see AlertGate).
   */
  alerts: Identity[];
  /** How many elements `value` had, valid or not. */
  size: number;
  nextLink: string | undefined;
}

/** The error JSON of both APIs: `{"error":{"code","message","target"}}` (target: a correlation id). */
function odataErrorDetail(bodyText: string): string {
  try {
    const body = JSON.parse(bodyText) as { error?: { code?: unknown; message?: unknown; target?: unknown } };
    const e = body.error;
    if (!e) return '';
    const parts = [e.code, e.message].filter((p): p is string => typeof p === 'string');
    const target = typeof e.target === 'string' ? ` (correlation id ${e.target})` : '';
    return parts.length > 0 ? `: ${parts.join(': ')}${target}` : target;
  } catch {
    return '';
  }
}

/** Maps an OData API's HTTP answer to the error a user can act on. */
export function odataError(err: unknown, what: string, permission: string): unknown {
  if (!(err instanceof HttpStatusError)) return err;
  const detail = odataErrorDetail(err.bodyText);
  if (err.status === 401) {
    const audience = /Audience|audience/.test(err.bodyText) ? ' — the token is for another API (check --resource / --cloud)' : '';
    return new AuthError('API_401', `the ${what} rejected the access token (HTTP 401)${detail}${audience}`, {
      hint: `the app needs the application permission ${permission} with admin consent`,
    });
  }
  if (err.status === 403) {
    return new ForbiddenError('API_403', `the ${what} refused access (HTTP 403)${detail}`, {
      hint: `grant the app the application permission ${permission} and admin consent`,
    });
  }
  if (detail && err.status >= 400) {
    return new ServiceError(`API_${err.status}`, `${err.message}${detail}`, { cause: err });
  }
  return err;
}

/**
 * Reads one page at `url` with retries, yielding its valid alerts: one array per network chunk, so
 * that the generators between here and the caller resume once a chunk, not once an alert. A retry
 * re-reads the page from its start; alerts already yielded are skipped (exactly as for the SIEM answer).
 */
export async function* readPage<T>(
  url: URL,
  kind: ODataAlertKind<T>,
  ctx: ODataContext,
  headers: Record<string, string>,
  result: PageResult,
  signal: AbortSignal | undefined,
  checkAnswer?: (status: number, headers: Record<string, string | string[] | undefined>) => void,
): AsyncGenerator<AlertRecord[]> {
  const gate = new AlertGate(
    kind.schema,
    (alert: T) => ({ id: kind.id(alert), updatedAt: kind.updatedAt(alert), key: keyOf(kind, alert) }),
    ctx.onInvalid,
    kind.byteCheck,
  );
  const { credential, dispatcher, retry, timeoutMs, log } = ctx;
  const open = async function* (attempt: number): AsyncGenerator<AlertRecord[]> {
    await ctx.pacer?.wait(signal);
    const { token } = await credential.getToken(signal);
    log.debug({ url: url.href, attempt }, 'requesting a page of alerts');
    const res = await send(
      { method: 'GET', url, headers: { ...headers, authorization: `Bearer ${token}`, accept: 'application/json' } },
      { dispatcher, signal, timeoutMs },
    );
    try {
      checkAnswer?.(res.status, res.headers);
    } catch (err) {
      res.discard();
      throw err;
    }
    const splitter = new ODataPageSplitter(kind.byteCheck === undefined ? {} : { check: kind.byteCheck });
    let index = 0;
    const alerts: Identity[] = [];
    const checked: (CheckedFields | undefined)[] = [];
    for await (const chunk of res.body) {
      checked.length = 0;
      const raws = splitter.push(chunk, checked);
      const batch: AlertRecord[] = [];
      for (let i = 0; i < raws.length; i++) {
        const admitted = gate.admitRecord(raws[i]!, index++, attempt, checked[i]);
        if (!admitted) continue;
        // Every valid alert of the page counts for paging, even one an earlier attempt wrote.
        const { record } = admitted;
        alerts.push({ id: record.id, updatedAt: record.updatedAt, key: record.key });
        if (!admitted.repeated) batch.push(record);
      }
      if (batch.length > 0) yield batch;
    }
    const { nextLink } = splitter.end();
    result.alerts = alerts;
    result.size = index;
    result.nextLink = nextLink;
  };
  const pacer = ctx.pacer;
  yield* withRetries(open, {
    policy: retry,
    log,
    what: 'alerts page request',
    signal,
    onThrottle: pacer && ((until) => pacer.hold(until)),
  });
}

/** What a page's `@odata.nextLink` allows: follow it, or not (absent, or pointing elsewhere). */
export type NextLink = { kind: 'none' } | { kind: 'follow'; url: URL } | { kind: 'foreign'; origin: string };

/**
 * A `@odata.nextLink` is followed only to the origin the first request went to: the bearer token
 * must never go to another host, whatever a page says. A link elsewhere is reported as `foreign`
 * (the caller continues on its own origin instead); one that is not a URL is a broken answer.
 */
export function classifyNextLink(link: string | undefined, base: URL): NextLink {
  if (link === undefined) return { kind: 'none' };
  let next: URL;
  try {
    next = new URL(link, base);
  } catch {
    throw new ServiceError('BAD_NEXT_LINK', `the API sent an @odata.nextLink that is not a URL: ${link.slice(0, 100)}`);
  }
  if (next.origin !== base.origin) return { kind: 'foreign', origin: next.origin };
  return { kind: 'follow', url: next };
}
