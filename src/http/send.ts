/**
 * One HTTP attempt — the only file of the HTTP layer that does I/O.
 */
import type { Dispatcher } from 'undici';
import { request } from './undici.js';
import {
  ERROR_BODY_LIMIT_BYTES,
  HttpStatusError,
  MIN_BODY_BYTES_PER_WINDOW,
  slowBodyError,
  toTransportError,
  type ResponseHeaders,
} from './errors.js';
import { requestSecrets, scrubSecrets } from './redact.js';

/** What to send. */
export interface SendSpec {
  method: 'GET' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
}

/** How to send it. */
export interface SendContext {
  dispatcher: Dispatcher;
  signal?: AbortSignal | undefined;
  /** The dispatcher's headers/body timeout, only to say "no response within N s" in errors. */
  timeoutMs?: number | undefined;
}

/** A 2xx answer whose body has not been read yet. */
export interface Sent {
  status: number;
  headers: ResponseHeaders;
  /** The body, chunk by chunk; a cut-off or stalled body throws a TransportError. Read it or break out of it. */
  body: AsyncIterable<Buffer>;
  /** Drops a body that will not be read (the answer was refused on its status or headers), freeing the connection. */
  discard(): void;
}

/**
 * Send one request. Redirects are never followed (a 3xx is an HttpStatusError), so the bearer
 * token cannot be handed to another host.
 *
 * @throws HttpStatusError for any non-2xx answer (with the first 64 KiB of its body, with this
 *   request's own credentials scrubbed out should the server echo them).
 * @throws TransportError when no usable answer arrived (DNS, connect, TLS, proxy, timeout).
 * @throws the signal's reason, untouched, when aborted.
 */
export async function send(spec: SendSpec, ctx: SendContext): Promise<Sent> {
  const { url } = spec;
  const failed = (err: unknown): unknown => (ctx.signal?.aborted ? err : (toTransportError(err, url, { timeoutMs: ctx.timeoutMs }) ?? err));

  let res: Dispatcher.ResponseData;
  try {
    // undici.request follows no redirects unless a redirect interceptor is composed in.
    res = await request(url, {
      method: spec.method,
      dispatcher: ctx.dispatcher,
      ...(spec.headers === undefined ? {} : { headers: spec.headers }),
      ...(spec.body === undefined ? {} : { body: spec.body }),
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
  } catch (err) {
    throw failed(err);
  }

  const headers = res.headers;
  if (res.statusCode >= 200 && res.statusCode < 300) {
    const raw = res.body;
    return {
      status: res.statusCode,
      headers,
      body: chunks(raw, failed, url, ctx.timeoutMs),
      discard: () => {
        // Destroying emits 'error' (RequestAbortedError); nobody else listens to this body now.
        raw.on('error', () => {});
        if (!raw.destroyed) raw.destroy();
      },
    };
  }

  const secrets = requestSecrets(spec.headers, spec.body);
  const bodyText = scrubSecrets(await readErrorBody(res.body), secrets);
  const keptHeaders: ResponseHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    keptHeaders[name] = Array.isArray(value)
      ? value.map((v) => scrubSecrets(v, secrets))
      : value === undefined
        ? value
        : scrubSecrets(value, secrets);
  }
  throw new HttpStatusError({ method: spec.method, url, status: res.statusCode, headers: keptHeaders, bodyText });
}

async function* chunks(
  body: Dispatcher.ResponseData['body'],
  failed: (err: unknown) => unknown,
  url: URL,
  windowMs: number | undefined,
): AsyncGenerator<Buffer> {
  // undici's bodyTimeout only bounds the silence between two chunks; this bounds the pace, so a
  // server trickling a byte a second cannot keep the run alive forever (see slowBodyError).
  let windowStartMs = performance.now();
  let windowBytes = 0;
  try {
    // Breaking out of this loop destroys the body stream, which releases the connection.
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      if (windowMs !== undefined) {
        windowBytes += buf.length;
        const elapsedMs = performance.now() - windowStartMs;
        if (elapsedMs >= windowMs) {
          if (windowBytes < MIN_BODY_BYTES_PER_WINDOW) throw slowBodyError(url, windowBytes, windowMs);
          windowStartMs = performance.now();
          windowBytes = 0;
        }
      }
      yield buf;
    }
  } catch (err) {
    throw failed(err);
  }
}

/**
 * The start of an error answer. Stops reading at the limit (the rest is destroyed, not
 * downloaded), and keeps what arrived if the body breaks: the status is what matters.
 */
async function readErrorBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      parts.push(buf);
      size += buf.length;
      if (size >= ERROR_BODY_LIMIT_BYTES) break;
    }
  } catch {
    // Partial error body: the status line already tells the story.
  } finally {
    if (!body.destroyed) body.destroy();
  }
  return new TextDecoder().decode(Buffer.concat(parts).subarray(0, ERROR_BODY_LIMIT_BYTES));
}

/**
 * The whole body of a small answer (a token response) as text. Decoded once at the end, so a
 * character whose UTF-8 bytes a chunk boundary cut in two is not turned into U+FFFD twice.
 */
export async function readText(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
