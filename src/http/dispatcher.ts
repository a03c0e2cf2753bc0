/**
 * The one undici dispatcher of a run: proxies from the environment, and timeouts a CLI can live with.
 */
import * as tls from 'node:tls';
import type { Dispatcher } from 'undici';
import { EnvHttpProxyAgent, Pool } from './undici.js';
import { UsageError } from '../errors.js';

/** undici's own connect timeout; a TCP/TLS handshake that takes longer is not coming. */
const MAX_CONNECT_TIMEOUT_MS = 10_000; // 10 s

export interface DispatcherOptions {
  /**
   * Longest wait for response headers, and longest silence between two body chunks.
   * undici's default for both is 300 s, far too patient for a CLI (see undici docs, Client options).
   */
  timeoutMs: number;
  /**
   * Trust exactly these CA certificates (PEM) instead of Node's store. For tests only: without it
   * Node's default store plus NODE_EXTRA_CA_CERTS applies, which is what users want.
   */
  ca?: string | undefined;
  /**
   * CA certificates (PEM) to trust besides Node's default store: those of a NODE_EXTRA_CA_CERTS
   * that Node never saw (set in --env-file; Node reads the variable once, at start-up).
   */
  extraCa?: readonly string[] | undefined;
  /** Where to read the proxy variables; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

/**
 * An undici `EnvHttpProxyAgent`: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (lower-case forms first,
 * as curl does) with `user:pass@` in a proxy URL sent as Basic proxy credentials (undici 7
 * percent-decodes both parts). TLS — direct, to an https:// proxy, or through the proxy's tunnel —
 * trusts Node's default store (with NODE_EXTRA_CA_CERTS) and `extraCa`, or `ca` alone.
 *
 * @throws UsageError when a proxy variable is not a URL.
 */
export function createDispatcher(opts: DispatcherOptions): Dispatcher {
  const env = opts.env ?? process.env;
  const { timeoutMs } = opts;
  const connectTimeoutMs = Math.min(timeoutMs, MAX_CONNECT_TIMEOUT_MS);
  const trust = tlsTrust(opts);

  return new EnvHttpProxyAgent({
    // Always pass all three: undici falls back to process.env for an undefined one, which would
    // bypass `env`. An empty string means "none" (and HTTPS then falls back to HTTP_PROXY).
    httpProxy: proxyUrl(env, 'http_proxy', 'HTTP_PROXY') ?? '',
    httpsProxy: proxyUrl(env, 'https_proxy', 'HTTPS_PROXY') ?? '',
    noProxy: env['no_proxy'] ?? env['NO_PROXY'] ?? '',
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    // Direct connections.
    connect: { timeout: connectTimeoutMs, ...trust },
    // Through a proxy: TCP (or TLS) to the proxy, then TLS to the origin inside the tunnel.
    proxyTls: { timeout: connectTimeoutMs, ...trust },
    requestTls: { timeout: connectTimeoutMs, ...trust },
    // The client that sends CONNECT gets undici's 300 s defaults unless told otherwise, so a
    // proxy that accepts the socket but never answers would hang the run.
    clientFactory: (origin: URL, clientOpts: object) =>
      new Pool(origin, { ...clientOpts, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }),
  });
}

/**
 * What TLS trusts: `ca` alone, Node's default store and `extraCa`, or (nothing to pass) Node's
 * default store. In one secure context: built from some 140 roots it costs ~20 ms, which undici
 * would otherwise spend on every connection.
 */
function tlsTrust(opts: DispatcherOptions): { ca: string } | { secureContext: tls.SecureContext } | Record<string, never> {
  if (opts.ca !== undefined) return { ca: opts.ca };
  if (opts.extraCa === undefined || opts.extraCa.length === 0) return {};
  return { secureContext: tls.createSecureContext({ ca: trustedCertificates(opts.extraCa) }) };
}

/**
 * Node's default CA certificates and `extra`. A `ca` option replaces Node's store, the roots and
 * NODE_EXTRA_CA_CERTS alike (https://nodejs.org/api/cli.html#node_extra_ca_certsfile), so the
 * extra certificates are given with the defaults, as Node adds NODE_EXTRA_CA_CERTS to them. The
 * defaults are `tls.getCACertificates('default')` where it exists (Node 22.15+; with
 * --use-system-ca it holds the system store too), else the bundled Mozilla roots.
 */
export function trustedCertificates(extra: readonly string[]): string[] {
  const withDefaults = tls as typeof tls & { getCACertificates?: (type: 'default') => string[] };
  return [...(withDefaults.getCACertificates?.('default') ?? tls.rootCertificates), ...extra];
}

/**
 * A proxy URL from the environment, with `http://` assumed when the scheme is missing
 * (`HTTPS_PROXY=proxy:3128` works in curl, so users write it).
 */
function proxyUrl(env: Readonly<Record<string, string | undefined>>, lower: string, upper: string): string | undefined {
  const name = env[lower] ? lower : upper;
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (cause) {
    throw new UsageError(`${name} is not a URL: expected http://[user:password@]host:port`, { cause });
  }
  if (!['http:', 'https:', 'socks:', 'socks5:'].includes(url.protocol)) {
    throw new UsageError(`${name} has the unsupported scheme ${url.protocol}; use http://host:port`);
  }
  return url.href;
}
