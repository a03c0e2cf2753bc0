/**
 * OAuth 2.0 client-credentials flow against Entra ID: the v1 token endpoint
 * (`{authority}/{tenant}/oauth2/token`, form field `resource=`) as the SIEM API documents it, or
 * the v2 endpoint (`/oauth2/v2.0/token`, `scope=<resource>/.default`) for the successor APIs.
 * The app proves itself with a client secret or a signed client assertion (certificate).
 */
import { z } from 'zod';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { RetryPolicy } from '../http/retry.js';
import { AuthError } from '../errors.js';
import { holdSecret, registerSecret, SecretSlot, type SecretHold } from '../secrets.js';
import { ASSERTION_LIFETIME_SECONDS } from './client-assertion.js';
import { entraError } from './entra-errors.js';
import type { AccessToken, TokenCredential } from './token.js';
import type { TokenAudience } from '../microsoft.js';
import { isRefusal, postForm } from './token-endpoint.js';

// v1 sends numbers as strings ("3599"), v2 and later docs as numbers: accept both.
const seconds = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

const TokenResponse = z.looseObject({
  token_type: z.string().default('Bearer'),
  access_token: z.string().min(1),
  expires_in: seconds.optional(),
  expires_on: seconds.optional(),
});

export interface AppCredentialOptions {
  authorityHost: URL;
  tenant: string;
  clientId: string;
  /** How the app proves itself: its client secret, or a function that signs a fresh client assertion (certificate) for a token URL. */
  proof: string | { assertion: (tokenUrl: string) => string };
  audience: TokenAudience;
  dispatcher: Dispatcher;
  retry: RetryPolicy;
  /** Only for messages: the dispatcher enforces it. */
  timeoutMs: number;
  log: Logger;
  now?: () => number;
}

/** The token URL of the v1 or v2 endpoint; the tenant was validated (GUID or domain) before it gets here. */
export function tokenUrl(authorityHost: URL, tenant: string, version: TokenAudience['version'] = 'v1'): URL {
  const path = version === 'v1' ? 'oauth2/token' : 'oauth2/v2.0/token';
  return new URL(`${authorityHost.href.replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/${path}`);
}

/** The form of a client-credentials token request (v1: `resource=`; v2: `scope=`; never both — AADSTS901002). */
export function tokenForm(clientId: string, audience: TokenAudience, proof: { secret: string } | { assertion: string }): URLSearchParams {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId });
  if (audience.version === 'v1') form.set('resource', audience.resource);
  else form.set('scope', audience.scope);
  if ('secret' in proof) form.set('client_secret', proof.secret);
  else {
    form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    form.set('client_assertion', proof.assertion);
  }
  return form;
}

/** Parses a token endpoint's 200 answer; `nowMs` anchors a relative `expires_in`. */
export function parseTokenResponse(bodyText: string, nowMs: number, url: string): AccessToken {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    json = undefined;
  }
  const parsed = TokenResponse.safeParse(json);
  if (!parsed.success) {
    throw new AuthError('TOKEN_MALFORMED', `the token endpoint ${url} answered 200 without an access_token`, {
      hint: 'check --authority-host: it must be the Entra ID host (https://login.microsoftonline.com) or the simulator',
    });
  }
  const t = parsed.data;
  // expires_in is relative and immune to clock skew between us and Entra ID; prefer it.
  const expiresOnMs =
    t.expires_in !== undefined ? nowMs + t.expires_in * 1000 : t.expires_on !== undefined ? t.expires_on * 1000 : nowMs + 3_600_000;
  return { token: t.access_token, tokenType: t.token_type, expiresOnMs };
}

/** Signs in as the application (client credentials), with a client secret or a certificate. */
export class AppCredential implements TokenCredential {
  readonly #options: AppCredentialOptions;
  /** The last token received: it stays hidden in every output until the next one replaces it. */
  readonly #token = new SecretSlot();
  readonly url: URL;

  constructor(options: AppCredentialOptions) {
    this.#options = options;
    this.url = tokenUrl(options.authorityHost, options.tenant, options.audience.version);
    if (typeof options.proof === 'string') registerSecret(options.proof);
  }

  async getToken(signal?: AbortSignal): Promise<AccessToken> {
    const { clientId, proof, audience, dispatcher, retry, log } = this.#options;
    const now = this.#options.now ?? Date.now;
    // An assertion is hidden while its request may still be logged, then let go: a service signs
    // a new one for every token, and the set of hidden values must not grow with them.
    const assertions: SecretHold[] = [];
    const credentials = (): { secret: string } | { assertion: string } => {
      if (typeof proof === 'string') return { secret: proof };
      const assertion = proof.assertion(this.url.href);
      assertions.push(holdSecret(assertion, Date.now() + ASSERTION_LIFETIME_SECONDS * 1000));
      return { assertion };
    };
    log.debug({ url: this.url.href, clientId, audience }, 'requesting access token');
    try {
      return await postForm(
        this.url,
        // A fresh assertion per attempt: each carries its own jti and expiry.
        () => tokenForm(clientId, audience, credentials()),
        (text) => {
          const receivedAt = now();
          const token = parseTokenResponse(text, receivedAt, this.url.href);
          // The registry keeps the process's own clock, whatever clock this credential was given.
          this.#token.set(token.token, Date.now() + (token.expiresOnMs - receivedAt));
          log.trace({ tokenType: token.tokenType, expiresOn: new Date(token.expiresOnMs).toISOString() }, 'access token received');
          return token;
        },
        { dispatcher, retry, log, timeoutMs: this.#options.timeoutMs },
        'token request',
        signal,
      );
    } catch (err) {
      // 400/401 carry Entra's error JSON; 5xx and 429 were retried and stay service errors.
      if (isRefusal(err)) {
        const { authorityHost, tenant } = this.#options;
        throw entraError(err.status, err.bodyText, this.url.href, { authorityHost, tenant, clientId });
      }
      throw err;
    } finally {
      for (const assertion of assertions) assertion.release();
    }
  }
}
