/**
 * What the OData APIs (Defender for Endpoint alerts, Graph alerts_v2) share: GET a page, stream the
 * alerts of its `value` as they arrive, validate each (readPage, on the loop of read-answer.ts), and
 * go on to the next page. Which page comes next is each API's own business: MDE follows
 * `@odata.nextLink`, Graph pages by time.
 */
import type { z } from 'zod';
import type { ByteCheck } from '../alert/byte-check.js';
import { AuthError, ForbiddenError, ServiceError } from '../errors.js';
import { HttpStatusError } from '../http/errors.js';
import type { Pacer } from '../http/pacer.js';
import { readAnswer, type PageResult } from './read-answer.js';
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

/** One OData page to read. */
export interface PageRequest<T> {
  url: URL;
  kind: ODataAlertKind<T>;
  ctx: ODataContext;
  /** Sent besides `authorization` and `accept` (Graph: `prefer`). */
  headers?: Record<string, string> | undefined;
  signal: AbortSignal | undefined;
  /** Refuses an answer on its status and headers (Graph's partial 206). */
  checkAnswer?: ((status: number, headers: Record<string, string | string[] | undefined>) => void) | undefined;
}

/**
 * Reads one page with retries (readAnswer), yielding its valid alerts one array per network chunk,
 * and returns the page's result: the identities of its valid alerts, its size and its next link.
 */
export function readPage<T>(page: PageRequest<T>): AsyncGenerator<AlertRecord[], PageResult> {
  const { kind, ctx } = page;
  return readAnswer({
    url: page.url,
    format: 'odata-page',
    schema: kind.schema,
    byteCheck: kind.byteCheck,
    identify: (alert: T) => ({ id: kind.id(alert), updatedAt: kind.updatedAt(alert), key: keyOf(kind, alert) }),
    ctx,
    pacer: ctx.pacer,
    headers: page.headers,
    signal: page.signal,
    checkAnswer: page.checkAnswer,
    identities: true,
    words: { requesting: 'requesting a page of alerts', what: 'alerts page request' },
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
