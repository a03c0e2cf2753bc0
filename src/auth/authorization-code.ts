/**
 * Interactive sign-in with the authorization code grant and PKCE on a loopback redirect
 * (RFC 8252 §7.3, RFC 7636 S256): a one-shot HTTP listener on 127.0.0.1 receives the browser's
 * redirect, `state` binds it to this sign-in, and the code is exchanged at the v2 token endpoint
 * as a public client (no secret; the code_verifier proves we asked for the code).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, codeName, UsageError } from '../errors.js';
import { entraError, firstSentence } from './entra-errors.js';
import { createPkcePair, createState, type PkcePair } from './pkce.js';
import { postTokenForm, signInScope, v2Url, type EntraDeps, type UserTokens } from './user-credential.js';

export interface AuthorizeUrlInput {
  authorityHost: URL;
  tenant: string;
  clientId: string;
  redirectUri: string;
  /** The resource scope (`<resource>/.default`). */
  scope: string;
  pkce: PkcePair;
  state: string;
}

/** The authorize URL the user opens in a browser. */
export function authorizeUrl(i: AuthorizeUrlInput): URL {
  const url = v2Url(i.authorityHost, i.tenant, 'authorize');
  url.search = new URLSearchParams({
    client_id: i.clientId,
    response_type: 'code',
    redirect_uri: i.redirectUri,
    scope: signInScope(i.scope),
    code_challenge: i.pkce.challenge,
    code_challenge_method: i.pkce.method,
    state: i.state,
  }).toString();
  return url;
}

/** What the redirect brought: a code, or the reason there is none. */
export type RedirectOutcome = { ok: true; code: string } | { ok: false; error: AuthError };

/**
 * Judges the redirect's query. The state is checked first: a redirect that is not the answer to
 * our request (CSRF, a stale tab) must not be acted on, whatever else it carries.
 */
export function parseRedirect(query: URLSearchParams, expectedState: string): RedirectOutcome {
  if (query.get('state') !== expectedState) {
    return {
      ok: false,
      error: new AuthError('STATE_MISMATCH', "the sign-in redirect carried a state that is not this sign-in's", {
        hint: 'start again with defender-alerts login, and finish in the browser tab it opened',
      }),
    };
  }
  const error = query.get('error');
  if (error !== null) {
    const description = query.get('error_description');
    const why = description ? firstSentence(description) : error;
    const declined = error === 'access_denied' || error === 'consent_required';
    return {
      ok: false,
      error: new AuthError(
        declined ? 'SIGN_IN_DECLINED' : `SIGN_IN_${codeName(error)}`,
        `${declined ? 'the sign-in was declined' : 'the sign-in failed'}: ${why}`,
        {
          hint: declined
            ? 'sign in again and accept, or ask an administrator to grant consent for the app'
            : 'check --tenant and --client-id',
        },
      ),
    };
  }
  const code = query.get('code');
  if (!code) return { ok: false, error: new AuthError('SIGN_IN_NO_CODE', 'the sign-in redirect carried no authorization code') };
  return { ok: true, code };
}

/** One redirect that reached the listener, and how to answer the browser. */
export interface Redirect {
  query: URLSearchParams;
  respond(ok: boolean, message: string): void;
}

export interface LoopbackListener {
  /** `http://127.0.0.1:<port>/`. */
  redirectUri: string;
  /** The first request to `/` that carries `code`, `error` or `state`. */
  next: Promise<Redirect>;
  close(): Promise<void>;
}

/** Starts the one-shot listener; `port` 0 picks a free one (RFC 8252 §7.3: any port, loopback IP). */
export async function listenForRedirect(port: number): Promise<LoopbackListener> {
  let deliver: (r: Redirect) => void = () => {};
  const next = new Promise<Redirect>((resolve) => (deliver = resolve));
  let delivered = false;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const q = url.searchParams;
    // Browsers also ask for /favicon.ico; only the redirect itself counts, and only once.
    if (req.method !== 'GET' || url.pathname !== '/' || delivered || !(q.has('code') || q.has('error') || q.has('state'))) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    delivered = true;
    deliver({
      query: q,
      respond: (ok, message) => {
        const title = ok ? 'Signed in' : 'Sign-in failed';
        res
          .writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' })
          .end(
            `<!doctype html><meta charset="utf-8"><title>defender-alerts: ${title}</title><h1>${title}</h1><p>${escapeHtml(message)}</p><p>You can close this tab.</p>\n`,
          );
      },
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot listen for the sign-in redirect on 127.0.0.1:${port} (${String(code)})`, {
      cause: err,
      hint: 'choose another --redirect-port, or leave it out for a free one',
    });
  }
  const actual = (server.address() as AddressInfo).port;
  return {
    redirectUri: `http://127.0.0.1:${actual}/`,
    next,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface AuthorizationCodeOptions extends EntraDeps {
  authorityHost: URL;
  tenant: string;
  clientId: string;
  /** The resource scope (`<resource>/.default`). */
  scope: string;
  /** Port of the loopback listener (0: a free one). */
  redirectPort: number;
  /** How long to wait for the browser's redirect. */
  waitMs: number;
  /** Shows the authorize URL to the user (stderr). */
  announce: (url: URL) => void;
  /** Opens a browser on the URL, if one is available; must never throw. */
  openBrowser?: (url: URL) => void;
  signal?: AbortSignal;
}

/** Runs the whole interactive sign-in and returns the user's tokens. */
export async function signInWithAuthorizationCode(o: AuthorizationCodeOptions): Promise<UserTokens> {
  const pkce = createPkcePair();
  const state = createState();
  const listener = await listenForRedirect(o.redirectPort);
  try {
    const url = authorizeUrl({ ...o, redirectUri: listener.redirectUri, pkce, state });
    o.announce(url);
    o.openBrowser?.(url);
    const redirect = await within(listener.next, o.waitMs, o.signal);
    const outcome = parseRedirect(redirect.query, state);
    if (!outcome.ok) {
      redirect.respond(false, outcome.error.message);
      throw outcome.error;
    }
    const tokenUrl = v2Url(o.authorityHost, o.tenant, 'token');
    const form = new URLSearchParams({
      client_id: o.clientId,
      grant_type: 'authorization_code',
      code: outcome.code,
      redirect_uri: listener.redirectUri,
      code_verifier: pkce.verifier,
      scope: signInScope(o.scope),
    });
    const answer = await postTokenForm(tokenUrl, form, o, o.signal).catch((err: unknown) => {
      redirect.respond(false, 'The code could not be exchanged for a token; see the terminal.');
      throw err;
    });
    if (!answer.ok) {
      const refused = entraError(answer.status, answer.bodyText, tokenUrl.href);
      redirect.respond(false, refused.message);
      throw refused;
    }
    redirect.respond(true, `defender-alerts is signed in${answer.tokens.account ? ` as ${answer.tokens.account}` : ''}.`);
    return answer.tokens;
  } finally {
    await listener.close();
  }
}

/** `promise`, or an AuthError after `ms`, or the signal's reason on Ctrl-C. */
async function within<T>(promise: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new AuthError('SIGN_IN_TIMEOUT', `no sign-in arrived within ${Math.round(ms / 1000)} s`, {
                hint: 'open the printed URL in a browser and sign in; on a machine without a browser use defender-alerts login --device-code',
              }),
            ),
          ms,
        );
        onAbort = () => reject(signal?.reason);
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
