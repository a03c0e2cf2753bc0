import { errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { HttpStatusError, safeUrl, toTransportError, TransportError } from '../../src/http/errors.js';

const URL_ = new URL('https://wdatp-alertexporter-eu.windows.com/api/alerts?sinceTimeUtc=2024-01-01');
const HOST = 'wdatp-alertexporter-eu.windows.com';

function nodeError(code: string, message = code, extra: object = {}): Error {
  return Object.assign(new Error(message), { code }, extra);
}

describe('toTransportError', () => {
  it.each([
    ['ECONNREFUSED', 'connection refused at 10.0.0.1:443'],
    ['ECONNRESET', 'closed unexpectedly'],
    ['ENOTFOUND', 'HTTPS_PROXY'],
    ['EAI_AGAIN', 'failed temporarily'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'set NODE_EXTRA_CA_CERTS to a PEM file with your CA'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'set NODE_EXTRA_CA_CERTS to a PEM file with your CA'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'set NODE_EXTRA_CA_CERTS to a PEM file with your CA'],
    ['CERT_HAS_EXPIRED', 'check the system clock'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'names another host'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'use http://'],
  ])('classifies %s, naming the host and the fix', (code, fix) => {
    const err = toTransportError(nodeError(code, code, { address: '10.0.0.1', port: 443 }), URL_);
    expect(err).toBeInstanceOf(TransportError);
    expect(err?.transportCode).toBe(code);
    expect(err?.exitCode).toBe(ExitCode.network);
    expect(err?.message).toContain(HOST);
    expect(err?.message).toContain(fix);
    expect(err?.message).not.toContain('\n');
  });

  it('classifies undici timeouts with the time limit and --timeout', () => {
    const headers = toTransportError(new undiciErrors.HeadersTimeoutError(), URL_, { timeoutMs: 30_000 });
    expect(headers?.transportCode).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect(headers?.message).toBe(`${HOST} sent no response within 30 s; raise --timeout`);
    const body = toTransportError(new undiciErrors.BodyTimeoutError(), URL_, { timeoutMs: 300 });
    expect(body?.transportCode).toBe('UND_ERR_BODY_TIMEOUT');
    expect(body?.message).toContain('no data within 0.3 s); raise --timeout');
    expect(toTransportError(new undiciErrors.ConnectTimeoutError(), URL_)?.transportCode).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(toTransportError(new undiciErrors.SocketError('other side closed'), URL_)?.transportCode).toBe('UND_ERR_SOCKET');
  });

  it.each([
    [407, 'PROXY_407', 'user:password in HTTPS_PROXY'],
    [403, 'PROXY_403', 'allow wdatp-alertexporter-eu.windows.com'],
    [502, 'PROXY_502', 'could not reach'],
  ])("reads undici's refused-tunnel message (proxy answered %i)", (status, code, fix) => {
    const raw = new undiciErrors.RequestAbortedError(`Proxy response (${status}) !== 200 when HTTP Tunneling`);
    const err = toTransportError(raw, URL_);
    expect(err?.transportCode).toBe(code);
    expect(err?.message).toContain(fix);
    expect(err?.cause).toBe(raw);
  });

  it('names HTTP_PROXY for an http: URL', () => {
    const raw = new undiciErrors.RequestAbortedError('Proxy response (407) !== 200 when HTTP Tunneling');
    expect(toTransportError(raw, new URL('http://example.test/'))?.message).toContain('HTTP_PROXY');
  });

  it('follows cause chains and AggregateErrors', () => {
    const tls = nodeError('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(toTransportError(new undiciErrors.SecureProxyConnectionError(tls), URL_)?.transportCode).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(toTransportError(new TypeError('fetch failed', { cause: nodeError('ECONNRESET') }), URL_)?.transportCode).toBe('ECONNRESET');
    const happyEyeballs = new AggregateError([nodeError('ECONNREFUSED'), nodeError('ECONNREFUSED')], 'all failed');
    expect(toTransportError(happyEyeballs, URL_)?.transportCode).toBe('ECONNREFUSED');
  });

  it.each([
    ['an abort (DOMException)', new DOMException('This operation was aborted', 'AbortError')],
    ["undici's own abort", new undiciErrors.RequestAbortedError()],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['an unknown code', nodeError('ERR_SOMETHING_ELSE')],
    ['a string', 'boom'],
    ['null', null],
  ])('returns undefined for %s', (_label, err) => {
    expect(toTransportError(err, URL_)).toBeUndefined();
  });

  it('returns a TransportError unchanged', () => {
    const err = new TransportError('ECONNRESET', 'x');
    expect(toTransportError(err, URL_)).toBe(err);
  });
});

describe('HttpStatusError', () => {
  it('keeps status, headers and body, and is a ServiceError (exit 5)', () => {
    const err = new HttpStatusError({
      method: 'GET',
      url: URL_,
      status: 503,
      headers: { 'retry-after': '5' },
      bodyText: '{"error":"busy"}',
    });
    expect(err.exitCode).toBe(ExitCode.service);
    expect(err.code).toBe('HTTP_STATUS');
    expect(err).toMatchObject({ status: 503, headers: { 'retry-after': '5' }, bodyText: '{"error":"busy"}' });
    expect(err.message).toBe(`GET https://${HOST}/api/alerts answered HTTP 503 Service Unavailable`);
  });

  it('says that a redirect was not followed, and where it pointed', () => {
    const err = new HttpStatusError({
      method: 'GET',
      url: URL_,
      status: 302,
      headers: { location: 'https://elsewhere.test/' },
      bodyText: '',
    });
    expect(err.message).toContain('redirect to https://elsewhere.test/');
    expect(err.message).toContain('not followed');
  });

  it('keeps no secrets in its url or message', () => {
    const url = new URL('https://user:hunter2@login.test/token?client_secret=hunter2&api-version=1&sig=abc');
    const err = new HttpStatusError({ method: 'POST', url, status: 400, headers: {}, bodyText: '' });
    expect(err.url).toBe('https://login.test/token?client_secret=REDACTED&api-version=1&sig=REDACTED');
    expect(err.message).not.toContain('hunter2');
  });
});

describe('safeUrl', () => {
  it('leaves an ordinary alerts URL alone', () => {
    expect(safeUrl(URL_)).toBe(URL_.href);
  });
});
