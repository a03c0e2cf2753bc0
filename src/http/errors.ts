/**
 * Errors of the HTTP layer: "the server answered with a failure status" ({@link HttpStatusError})
 * and "no usable answer arrived" ({@link TransportError}), plus the mapping from undici/Node
 * errors to the latter with a message that names the host and the fix.
 */
import { STATUS_CODES } from 'node:http';
import { NetworkError, ServiceError } from '../errors.js';

/** Response headers as undici reports them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** At most this much of an error answer is kept (enough for any JSON error document). */
export const ERROR_BODY_LIMIT_BYTES = 64 * 1024;

/** Query parameters whose values must never reach a log or an error message. */
const SECRET_QUERY_KEYS = /secret|token|assertion|password|passwd|key|sig|code|credential/i;

/**
 * The URL as it may be shown to a person: credentials removed, secret-looking query values
 * replaced by `REDACTED` (the token endpoint and SAS-style URLs carry secrets in the query).
 */
export function safeUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  for (const key of [...copy.searchParams.keys()]) {
    if (SECRET_QUERY_KEYS.test(key)) copy.searchParams.set(key, 'REDACTED');
  }
  return copy.href;
}

export interface HttpStatusErrorInit {
  method: string;
  url: URL;
  status: number;
  headers: ResponseHeaders;
  /** The start of the answer's body, decoded as UTF-8. */
  bodyText: string;
}

/**
 * The server answered with a status we do not accept (3xx, 4xx, 5xx). Callers that know what
 * the status means for their API (401 → AuthError, 403 → ForbiddenError) map it further.
 */
export class HttpStatusError extends ServiceError {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** The first {@link ERROR_BODY_LIMIT_BYTES} of the body (a JSON error document, usually). */
  readonly bodyText: string;
  /** The request URL without credentials or secret query values. */
  readonly url: string;

  constructor(init: HttpStatusErrorInit) {
    super('HTTP_STATUS', statusMessage(init));
    this.status = init.status;
    this.headers = init.headers;
    this.bodyText = init.bodyText;
    this.url = safeUrl(init.url);
  }
}

function statusMessage({ method, url, status, headers }: HttpStatusErrorInit): string {
  const text = STATUS_CODES[status] ?? 'Unknown Status';
  const base = `${method} ${url.origin}${url.pathname} answered HTTP ${status} ${text}`;
  if (status >= 300 && status < 400) {
    const location = firstHeader(headers, 'location');
    // Following a redirect would hand the bearer token to whatever host it names.
    return `${base}${location ? ` (redirect to ${location})` : ''}; redirects are not followed — check the base URL / region`;
  }
  return base;
}

/** The first value of a response header, whether undici gave it as a string or an array. */
export function firstHeader(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** No usable answer arrived: DNS, connect, TLS, proxy, reset, timeout. */
export class TransportError extends NetworkError {
  /** The underlying machine code (ECONNRESET, UND_ERR_HEADERS_TIMEOUT, CERT_HAS_EXPIRED, PROXY_407…). */
  readonly transportCode: string;

  constructor(transportCode: string, message: string, options: { cause?: unknown } = {}) {
    super('TRANSPORT', message, options);
    this.transportCode = transportCode;
  }
}

/** What {@link toTransportError} may use to make its message precise. */
export interface TransportErrorContext {
  /** The headers/body timeout in force, for "no response within N s". */
  timeoutMs?: number | undefined;
}

/** Certificate chain not anchored in a trusted CA: typical behind a TLS-inspecting proxy. */
const UNTRUSTED_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const CERT_DATE_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const CLOSED_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'ECONNABORTED']);
const UNREACHABLE_CODES = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN']);

/** undici reports a refused CONNECT only in prose (lib/dispatcher/proxy-agent.js), so match it. */
const PROXY_TUNNEL_REFUSED = /^Proxy response \((\d{3})\) !== 200/;
/** …and a 407 from a non-tunnelling HTTP proxy (Http1ProxyWrapper) likewise. */
const PROXY_AUTH_REQUIRED = /^Proxy Authentication Required \(407\)/;

interface CodedError {
  code?: unknown;
  message?: unknown;
  address?: unknown;
  port?: unknown;
}

/**
 * Classify an error thrown by undici or Node's net/tls/dns as a {@link TransportError} with a
 * one-line message naming the host and the fix.
 *
 * Follows `cause` chains (undici wraps TLS errors met through a proxy) and `AggregateError`s
 * (Happy Eyeballs reports one error per address). Returns `undefined` for anything that is not
 * a network failure — aborts, programming errors — so the caller rethrows it untouched.
 */
export function toTransportError(err: unknown, url: URL, context: TransportErrorContext = {}): TransportError | undefined {
  if (err instanceof TransportError) return err;
  for (const candidate of errorChain(err)) {
    const classified = classify(candidate, url, context);
    if (classified !== undefined) {
      return new TransportError(classified.code, classified.message, { cause: err });
    }
  }
  return undefined;
}

/** err, its causes, and the members of any AggregateError, breadth-first, bounded. */
function errorChain(err: unknown): CodedError[] {
  const out: CodedError[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 16) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || out.includes(next)) continue;
    out.push(next);
    if (next instanceof AggregateError) queue.push(...(next.errors as unknown[]));
    if ('cause' in next) queue.push(next.cause);
  }
  return out;
}

function classify(e: CodedError, url: URL, { timeoutMs }: TransportErrorContext): { code: string; message: string } | undefined {
  const host = url.host;
  const proxyVar = url.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY';
  const message = typeof e.message === 'string' ? e.message : '';

  const tunnel = PROXY_TUNNEL_REFUSED.exec(message);
  const proxyStatus = tunnel?.[1] !== undefined ? Number(tunnel[1]) : PROXY_AUTH_REQUIRED.test(message) ? 407 : undefined;
  if (proxyStatus !== undefined) {
    return { code: `PROXY_${proxyStatus}`, message: proxyMessage(proxyStatus, host, proxyVar) };
  }

  // undici's HTTPParserError loses llhttp's error name (its code is `undefined`), so an answer
  // that is not HTTP at all would otherwise look like a bug (exit 1) instead of a bad peer.
  const code = typeof e.code === 'string' ? e.code : isHttpParserError(e) ? 'HPE_INVALID_RESPONSE' : undefined;
  if (code === undefined) return undefined;
  const within = timeoutMs === undefined ? 'in time' : `within ${formatSeconds(timeoutMs)}`;
  const peer = typeof e.address === 'string' ? ` at ${e.address}${typeof e.port === 'number' ? `:${e.port}` : ''}` : '';

  if (code === 'ECONNREFUSED') {
    return { code, message: `cannot connect to ${host}: connection refused${peer}; check the URL, or ${proxyVar} if you use a proxy` };
  }
  if (CLOSED_CODES.has(code)) {
    return { code, message: `the connection to ${host} closed unexpectedly (${code}); a proxy or firewall may be cutting it` };
  }
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return { code, message: `the answer from ${host} was cut off before its end (${code})` };
  }
  if (code === 'ENOTFOUND') {
    return {
      code,
      message: `cannot resolve the host name ${url.hostname} (ENOTFOUND); check the URL or region, or set ${proxyVar} if only a proxy reaches the internet`,
    };
  }
  if (code === 'EAI_AGAIN') {
    return { code, message: `DNS lookup of ${url.hostname} failed temporarily (EAI_AGAIN); check the network and DNS` };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return { code, message: `${host} sent no response ${within}; raise --timeout` };
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return { code, message: `${host} stopped sending its answer (no data ${within}); raise --timeout` };
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return { code, message: `could not connect to ${host} in time (${code}); check the network, firewall, or ${proxyVar}` };
  }
  if (UNREACHABLE_CODES.has(code)) {
    return { code, message: `cannot reach ${host} (${code}); check the network, or ${proxyVar} if you use a proxy` };
  }
  if (UNTRUSTED_CERT_CODES.has(code)) {
    return {
      code,
      message: `the TLS certificate of ${host} is not trusted (${code}); if a proxy or firewall inspects TLS, set NODE_EXTRA_CA_CERTS to a PEM file with your CA`,
    };
  }
  if (CERT_DATE_CODES.has(code)) {
    return { code, message: `the TLS certificate of ${host} is outside its validity period (${code}); check the system clock` };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      code,
      message: `the TLS certificate presented for ${host} names another host (${code}); check the URL, or the TLS-inspecting proxy`,
    };
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO' || code.startsWith('ERR_TLS_')) {
    return {
      code,
      message: `the TLS handshake with ${host} failed (${code}); if ${proxyVar} starts with https:// but the proxy speaks plain HTTP, use http://`,
    };
  }
  if (code.startsWith('HPE_')) {
    return { code, message: `${host} sent a malformed HTTP answer (${code})` };
  }
  return undefined;
}

function isHttpParserError(e: CodedError): boolean {
  return (e as { name?: unknown }).name === 'HTTPParserError';
}

/**
 * An answer that keeps arriving, but slower than {@link MIN_BODY_BYTES_PER_WINDOW} per timeout
 * window: a byte every second resets a between-chunk timeout forever, and would hold a cron slot
 * for days. Like curl's --speed-limit/--speed-time, with the window = --timeout.
 */
export function slowBodyError(url: URL, bytes: number, windowMs: number): TransportError {
  return new TransportError(
    'BODY_TOO_SLOW',
    `${url.host} is sending its answer too slowly (${bytes} bytes in ${formatSeconds(windowMs)}, less than ${MIN_BODY_BYTES_PER_WINDOW}); raise --timeout if the link is this slow`,
  );
}

/** Least progress an answer body must make per timeout window (1 KiB: less than one alert). */
export const MIN_BODY_BYTES_PER_WINDOW = 1024;

function proxyMessage(status: number, host: string, proxyVar: string): string {
  const refused = `the proxy refused to connect to ${host} (HTTP ${status} ${STATUS_CODES[status] ?? ''})`.replace(' )', ')');
  if (status === 407) return `${refused}; put user:password in ${proxyVar} (percent-encoded) or check them`;
  if (status === 403) return `${refused}; ask the proxy's administrators to allow ${host}`;
  if (status >= 500) return `${refused}: it could not reach ${host}; check the URL, or try again later`;
  return `${refused}; check ${proxyVar}`;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
