/**
 * The parts of undici the CLI uses, loaded without undici's index module.
 *
 * Why: `import 'undici'` loads all of undici — fetch, WebSocket, EventSource, cookies, caches,
 * mocks, the SQLite cache store, HTTP/2 — before the first request, and every run pays for it.
 * Measured on Node 20 (the project's 2-CPU machine): 75–97 ms to load the index against 26–33 ms
 * for the three modules below, out of ~320 ms for a whole pull of 20 alerts. A scheduled pull
 * that finds a handful of alerts is mostly start-up, so this is time every such run saves.
 *
 * What the index does besides re-exporting is one line, repeated here: it gives every dispatcher
 * the request/stream/connect methods (`Object.assign(Dispatcher.prototype, api)`), which the CLI
 * calls and undici's own proxy agent needs (it opens the CONNECT tunnel with `connect`).
 *
 * These paths are inside undici's package (it has no `exports` map, so they resolve), pinned by the
 * lock file; the proxy, TLS and end-to-end tests fail should an undici update move them.
 */
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const load = createRequire(import.meta.url);

const DispatcherBase = load('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
Object.assign(DispatcherBase.prototype, load('undici/lib/api/index.js'));

export const EnvHttpProxyAgent = load('undici/lib/dispatcher/env-http-proxy-agent.js') as typeof Undici.EnvHttpProxyAgent;
export const Pool = load('undici/lib/dispatcher/pool.js') as typeof Undici.Pool;

/** undici's `request(url, options)`, for a dispatcher the caller always names. */
export function request(
  url: URL,
  options: Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Undici.Dispatcher },
): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options;
  return dispatcher.request({ ...rest, origin: url.origin, path: `${url.pathname}${url.search}` });
}
