/**
 * Delegated (user) sign-in: the token requests every user grant shares (authorization code,
 * device code, refresh token — all at the v2 endpoint, as a public client with no secret), and
 * {@link UserCredential}, which serves `pull --auth user` from the cached sign-in.
 */
import { z } from 'zod';
import type { TokenAudience } from '../microsoft.js';
import { AuthError } from '../errors.js';
import { SecretSlot } from '../secrets.js';
import { entraError } from './entra-errors.js';
import { parseTokenResponse, tokenUrl } from './app-credential.js';
import type { AccessToken, TokenCredential } from './token.js';
import { findEntry, saveEntry, type CacheEntry } from './token-store.js';
import { isRefusal, postForm, type EndpointDeps } from './token-endpoint.js';
import { REFRESH_MARGIN_MS } from './token-cache.js';

/** What every request to Entra ID needs. */
export interface EntraDeps extends EndpointDeps {
  now?: () => number;
}

/** The resource scope of an API: `<resource>/.default` (the v1 resource expressed as a v2 scope). */
export function resourceScope(audience: TokenAudience): string {
  return audience.version === 'v2' ? audience.scope : `${audience.resource.replace(/\/+$/, '')}/.default`;
}

/**
 * The scope a user sign-in asks for: the API's `.default`, plus `offline_access` for a refresh
 * token and `openid profile` for an id_token naming the account — the set MSAL always adds.
 */
export function signInScope(scope: string): string {
  return `${scope} openid profile offline_access`;
}

/** `{authority}/{tenant}/oauth2/v2.0/<endpoint>`; the tenant was validated (GUID or domain) before. */
export function v2Url(authorityHost: URL, tenant: string, endpoint: 'authorize' | 'devicecode' | 'token'): URL {
  return endpoint === 'token'
    ? tokenUrl(authorityHost, tenant, 'v2')
    : new URL(`${authorityHost.href.replace(/\/+$/, '')}/${encodeURIComponent(tenant)}/oauth2/v2.0/${endpoint}`);
}

const UserTokenFields = z.looseObject({
  refresh_token: z.string().min(1).optional(),
  id_token: z.string().optional(),
  scope: z.string().optional(),
});

/** A user token answer: the access token, and what comes with it. */
export interface UserTokens {
  access: AccessToken;
  refreshToken: string | undefined;
  /** Who signed in (display only). */
  account: string | undefined;
}

/**
 * The account name in an id_token (`preferred_username`, else `upn`, `email`, `name`). The token
 * is only decoded, never verified: the name is shown to the user and trusted for nothing.
 */
export function accountFromIdToken(idToken: string | undefined): string | undefined {
  const payload = idToken?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    for (const claim of ['preferred_username', 'upn', 'email', 'name']) {
      const value = claims[claim];
      if (typeof value === 'string' && value !== '') return value;
    }
  } catch {
    // Not a JWT we can read: no name to show, and nothing else depends on it.
  }
  return undefined;
}

/**
 * Where a sign-in's tokens stay hidden from every output (secrets.ts) while they are live: each
 * new token replaces the last of its kind, so a service refreshing every hour holds three, not
 * three a refresh.
 */
export interface UserTokenSlots {
  access: SecretSlot;
  refresh: SecretSlot;
  id: SecretSlot;
}

export function userTokenSlots(): UserTokenSlots {
  return { access: new SecretSlot(), refresh: new SecretSlot(), id: new SecretSlot() };
}

/** Parses a user grant's 200 answer and hides every token in it from the logs, in `slots`. */
export function parseUserTokens(bodyText: string, nowMs: number, url: string, slots = userTokenSlots()): UserTokens {
  const access = parseTokenResponse(bodyText, nowMs, url);
  const extra = UserTokenFields.safeParse(JSON.parse(bodyText));
  const refreshToken = extra.success ? extra.data.refresh_token : undefined;
  const idToken = extra.success ? extra.data.id_token : undefined;
  // The registry keeps the process's own clock, whatever clock the caller was given.
  const expiresAtMs = Date.now() + (access.expiresOnMs - nowMs);
  slots.access.set(access.token, expiresAtMs);
  // A refresh token lives for days, and replaced ones may still work: hidden until the next one.
  if (refreshToken) slots.refresh.set(refreshToken);
  if (idToken) slots.id.set(idToken, expiresAtMs);
  return { access, refreshToken, account: accountFromIdToken(idToken) };
}

/** A token endpoint answer: tokens, or Entra's refusal (its OAuth `error`, e.g. authorization_pending). */
export type TokenAnswer = { ok: true; tokens: UserTokens } | { ok: false; status: number; error: string; bodyText: string };

/** The OAuth `error` of an Entra error body, or '' when the body is not one. */
export function oauthError(bodyText: string): string {
  try {
    const json = JSON.parse(bodyText) as { error?: unknown };
    return typeof json.error === 'string' ? json.error : '';
  } catch {
    return '';
  }
}

/**
 * POSTs a form to the v2 token endpoint (retrying 408/429/5xx and connection failures) and
 * returns the tokens, or Entra's 4xx refusal for the caller to judge.
 */
export async function postTokenForm(
  url: URL,
  form: URLSearchParams,
  deps: EntraDeps,
  signal?: AbortSignal,
  slots?: UserTokenSlots,
): Promise<TokenAnswer> {
  const now = deps.now ?? Date.now;
  try {
    return await postForm(
      url,
      () => form,
      (text) => {
        const tokens = parseUserTokens(text, now(), url.href, slots);
        deps.log.trace(
          { grant: form.get('grant_type'), expiresOn: new Date(tokens.access.expiresOnMs).toISOString() },
          'user tokens received',
        );
        return { ok: true as const, tokens };
      },
      deps,
      'token request',
      signal,
    );
  } catch (err) {
    if (isRefusal(err)) return { ok: false, status: err.status, error: oauthError(err.bodyText), bodyText: err.bodyText };
    throw err;
  }
}

export interface UserCredentialOptions extends EntraDeps {
  /** The token cache file (token-store.ts). */
  cachePath: string;
  authorityHost: URL;
  tenant: string;
  clientId: string;
  /** The resource scope (`<resource>/.default`). */
  scope: string;
}

const LOGIN_HINT = 'run defender-alerts login (with the same --tenant, --client-id and --api) to sign in again';

/**
 * The signed-in user's token for `pull --auth user`: the cached access token while it has 5 min
 * of life left, else a refresh_token grant whose (rotated) tokens replace the cached ones.
 */
export class UserCredential implements TokenCredential {
  readonly #o: UserCredentialOptions;
  readonly #slots = userTokenSlots();

  constructor(options: UserCredentialOptions) {
    this.#o = options;
  }

  async getToken(signal?: AbortSignal): Promise<AccessToken> {
    const o = this.#o;
    const now = o.now ?? Date.now;
    const entry = await findEntry(o.cachePath, o.tenant, o.clientId, o.scope);
    if (entry === undefined) {
      throw new AuthError(
        'NOT_SIGNED_IN',
        `no cached sign-in for client ${o.clientId} in tenant ${o.tenant} (${o.scope}) in ${o.cachePath}`,
        {
          hint: LOGIN_HINT,
        },
      );
    }
    this.#slots.access.set(entry.accessToken, Date.now() + (entry.expiresOnMs - now()));
    if (entry.refreshToken) this.#slots.refresh.set(entry.refreshToken);
    if (entry.expiresOnMs - REFRESH_MARGIN_MS > now()) {
      o.log.debug({ account: entry.account, expiresOn: new Date(entry.expiresOnMs).toISOString() }, 'using the cached user sign-in');
      return { token: entry.accessToken, tokenType: 'Bearer', expiresOnMs: entry.expiresOnMs };
    }
    if (!entry.refreshToken) {
      throw new AuthError('SIGN_IN_EXPIRED', 'the cached sign-in has expired and holds no refresh token', { hint: LOGIN_HINT });
    }
    const url = v2Url(o.authorityHost, o.tenant, 'token');
    o.log.debug({ url: url.href, account: entry.account }, 'refreshing the user sign-in');
    const form = new URLSearchParams({
      client_id: o.clientId,
      grant_type: 'refresh_token',
      refresh_token: entry.refreshToken,
      scope: signInScope(o.scope),
    });
    const answer = await postTokenForm(url, form, o, signal, this.#slots);
    if (!answer.ok) {
      const refused = entraError(answer.status, answer.bodyText, url.href);
      // invalid_grant: the refresh token expired, was revoked or was rotated away; only a new sign-in helps.
      if (answer.error === 'invalid_grant' || answer.error === 'interaction_required') {
        throw new AuthError(
          'SIGN_IN_EXPIRED',
          `${refused.message.replace(/^Entra ID refused the sign-in/, 'Entra ID refused the cached sign-in')}`,
          {
            hint: LOGIN_HINT,
          },
        );
      }
      throw refused;
    }
    const next: CacheEntry = {
      ...entry,
      authorityHost: o.authorityHost.href,
      accessToken: answer.tokens.access.token,
      expiresOnMs: answer.tokens.access.expiresOnMs,
      savedAt: new Date(now()).toISOString(),
    };
    // Entra rotates refresh tokens: keep the new one; an answer without one leaves the old one valid.
    if (answer.tokens.refreshToken) next.refreshToken = answer.tokens.refreshToken;
    if (answer.tokens.account) next.account = answer.tokens.account;
    await saveEntry(o.cachePath, next);
    return answer.tokens.access;
  }
}
