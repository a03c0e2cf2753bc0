/**
 * The one loop every source reads an answer with, the SIEM API's bare array and an OData page
 * alike: GET it with retries, hand on the valid alerts of each network chunk as they arrive, and
 * say how the answer ended. What differs between the APIs is data (the format, the headers, the
 * words of the log) or a small callback (a check of the status line).
 */
import type { z } from 'zod';
import type { ByteCheck, CheckedFields } from '../alert/byte-check.js';
import type { Pacer } from '../http/pacer.js';
import { withRetries } from '../http/retry-loop.js';
import { send } from '../http/send.js';
import { JsonArraySplitter } from '../json/array-splitter.js';
import { ODataPageSplitter } from '../json/odata-page.js';
import { AlertGate, type Identity } from './alert-gate.js';
import type { AlertRecord, SourceContext } from './source.js';

/** How an answer ended, for deciding the next request. */
export interface PageResult {
  /**
   * The identities of the answer's valid alerts, in order (empty unless asked for): all paging
   * needs. Not the alerts themselves, so a page of 10 000 holds no parsed objects (nor needs any:
   * see AlertGate).
   */
  alerts: Identity[];
  /** How many elements the answer had, valid or not. */
  size: number;
  /** An OData page's `@odata.nextLink` (a SIEM answer has none). */
  nextLink: string | undefined;
}

export interface AnswerRequest<T> {
  url: URL;
  /** `array`: one bare JSON array (SIEM); `odata-page`: `{"value":[…],"@odata.nextLink":…}`. */
  format: 'array' | 'odata-page';
  schema: z.ZodType<T>;
  /**
   * Checks a valid alert on its bytes, extracting every field `identify` reads, so that nearly
   * every alert skips JSON.parse and zod (see ../alert/byte-check.ts).
   */
  byteCheck?: ByteCheck | undefined;
  identify: (alert: T) => Identity;
  ctx: SourceContext;
  /** Waited for before each request, and told of a 429 (the OData APIs' rate limits). */
  pacer?: Pacer | undefined;
  /** Sent besides `authorization` and `accept`. */
  headers?: Record<string, string> | undefined;
  signal: AbortSignal | undefined;
  /** Sees the status and headers before the body is read; what it throws refuses the answer (retried if marked so). */
  checkAnswer?: ((status: number, headers: Record<string, string | string[] | undefined>) => void) | undefined;
  /**
   * Whether the result lists the identities of the valid alerts: paging needs them; the SIEM
   * API's one answer does not, and 100 000 of them would be held for nothing.
   */
  identities: boolean;
  /**
   * The words of the log: the debug line before each request, what the retry loop's lines (and
   * its final error) call the request, and the trace and debug lines when the answer starts and
   * is complete (left out: no line).
   */
  words: { requesting: string; what: string; started?: string | undefined; complete?: string | undefined };
}

/**
 * Reads the answer at `request.url` with retries, yielding its valid alerts: one array per network
 * chunk, so that the generators between here and the caller resume once a chunk, not once an
 * alert. A retry re-reads the answer from its start; alerts already yielded are skipped. Returns
 * how the whole answer (its last reading) ended.
 */
export async function* readAnswer<T>(request: AnswerRequest<T>): AsyncGenerator<AlertRecord[], PageResult> {
  const { url, format, byteCheck, ctx, pacer, headers, signal, checkAnswer, identities, words } = request;
  const { credential, dispatcher, retry, timeoutMs, log } = ctx;
  const gate = new AlertGate(request.schema, request.identify, ctx.onInvalid, byteCheck);
  const check = byteCheck === undefined ? {} : { check: byteCheck };
  let ended: PageResult | undefined;
  const open = async function* (attempt: number): AsyncGenerator<AlertRecord[]> {
    if (pacer !== undefined) await pacer.wait(signal);
    const { token } = await credential.getToken(signal);
    log.debug({ url: url.href, attempt }, words.requesting);
    const res = await send(
      { method: 'GET', url, headers: { ...headers, authorization: `Bearer ${token}`, accept: 'application/json' } },
      { dispatcher, signal, timeoutMs },
    );
    if (words.started !== undefined) log.trace({ status: res.status, headers: res.headers }, words.started);
    try {
      checkAnswer?.(res.status, res.headers);
    } catch (err) {
      res.discard();
      throw err;
    }
    const splitter: ODataPageSplitter<CheckedFields> | JsonArraySplitter<CheckedFields> =
      format === 'odata-page' ? new ODataPageSplitter(check) : new JsonArraySplitter(check);
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
        if (identities) alerts.push({ id: record.id, updatedAt: record.updatedAt, key: record.key });
        if (!admitted.repeated) batch.push(record);
      }
      if (batch.length > 0) yield batch;
    }
    let nextLink: string | undefined;
    if (splitter instanceof ODataPageSplitter) nextLink = splitter.end().nextLink;
    else splitter.end();
    if (words.complete !== undefined) log.debug({ alerts: index, attempt }, words.complete);
    ended = { alerts, size: index, nextLink };
  };
  yield* withRetries(open, {
    policy: retry,
    log,
    what: words.what,
    signal,
    onThrottle: pacer && ((until) => pacer.hold(until)),
  });
  // withRetries returns only once an attempt read the answer to its end, which set it.
  return ended!;
}
