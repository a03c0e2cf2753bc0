/**
 * The simulated Entra ID user sign-in: the v2 authorize endpoint (auto-approving, as if the user
 * signed in and consented), the device code endpoint (approved or declined by a test hook), and
 * the token endpoint's user grants — authorization_code with PKCE, device_code, and rotating
 * refresh tokens. Pure apart from randomness: the server passes the clock and issues the access
 * tokens through its one TokenRegistry, so user tokens work on the alert APIs like app tokens.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SIMULATOR_CREDENTIALS } from './credentials.js';
import { acceptedResource, type EntraError } from './entra.js';

/** The published test user: who every simulated sign-in signs in as. */
export const SIMULATOR_USER = {
  name: 'Simulated Analyst',
  username: 'analyst@simulator.onmicrosoft.com',
  objectId: '00000000-0000-4000-8000-0000000000a1',
} as const;

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** The grant types served here rather than by the client-credentials check. */
export const USER_GRANTS: ReadonlySet<string> = new Set(['authorization_code', 'refresh_token', DEVICE_CODE_GRANT]);

const OTHER_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const CODE_LIFETIME_MS = 10 * 60_000; // Entra's authorization codes live about 10 minutes
// A poll this much earlier than the interval still counts as on time (timer jitter).
const POLL_TOLERANCE_MS = 250;

export interface UserAuthOptions {
  /** Issues an access token for a resource (the server's TokenRegistry). */
  issue: (resource: string, lifetimeSeconds: number, now: Date) => string;
  lifetimeSeconds: number;
  /** Polling interval the device code endpoint asks for (Entra: 5 s). */
  deviceIntervalSeconds?: number;
  /** Lifetime of a device code (Entra: 900 s). */
  deviceCodeLifetimeSeconds?: number;
}

/** A redirect to send the browser to, or an error page (bad client or redirect URI: never redirect there). */
export type AuthorizeAnswer = { ok: true; location: string } | { ok: false; error: EntraError };
/** A JSON body to answer 200 with, or Entra's error. */
export type JsonAnswer = { ok: true; body: Record<string, unknown> } | { ok: false; error: EntraError };

interface Grant {
  clientId: string;
  resource: string;
  scopes: string[];
}

const fail = (status: 400 | 401, error: string, code: number, message: string): { ok: false; error: EntraError } => ({
  ok: false,
  error: { status, error, code, message },
});

const missing = (name: string) => fail(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);

function tenantKnown(tenant: string): boolean {
  return [SIMULATOR_CREDENTIALS.tenantId, SIMULATOR_CREDENTIALS.tenantDomain].some((t) => t.toLowerCase() === tenant.toLowerCase());
}

const unknownTenant = (tenant: string) =>
  fail(
    400,
    'invalid_request',
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
  );

const unknownClient = (clientId: string, tenant: string) =>
  fail(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);

/** RFC 8252 §7.3: plain http is allowed for a redirect only to a loopback address. */
export function isLoopbackRedirect(uri: string): boolean {
  try {
    const url = new URL(uri);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && !url.hash;
  } catch {
    return false;
  }
}

/** Splits a scope string into the resource (`<resource>/.default`) and the OpenID scopes. */
export function parseScope(scope: string | null): { ok: true; resource: string; scopes: string[] } | { ok: false; error: EntraError } {
  if (!scope) return missing('scope');
  const parts = scope.trim().split(/\s+/);
  const resources = parts.filter((p) => !OTHER_SCOPES.has(p.toLowerCase()));
  const [only] = resources;
  if (resources.length !== 1 || only === undefined || !/\/\.default$/i.test(only)) {
    return fail(
      400,
      'invalid_scope',
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    );
  }
  const requested = only.replace(/\/\.default$/i, '');
  if (acceptedResource(requested) === undefined) {
    return fail(400, 'invalid_resource', 500011, `The resource principal named ${requested} was not found in the tenant.`);
  }
  return { ok: true, resource: requested, scopes: parts };
}

function randomCode(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Entra's user codes are 9 letters and digits, without look-alikes. */
function userCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  return [...randomBytes(9)].map((b) => alphabet[b % alphabet.length]).join('');
}

export class UserAuthority {
  readonly #o: UserAuthOptions;
  readonly #codes = new Map<string, Grant & { redirectUri: string; challenge: string; expiresAtMs: number }>();
  readonly #devices = new Map<
    string,
    Grant & { userCode: string; expiresAtMs: number; status: 'pending' | 'approved' | 'declined'; lastPollMs: number | undefined }
  >();
  readonly #refreshTokens = new Map<string, Grant>();
  #declineNext = false;

  constructor(options: UserAuthOptions) {
    this.#o = options;
  }

  /** The next browser sign-in is declined by the "user" (redirect with access_denied). */
  declineNextSignIn(): void {
    this.#declineNext = true;
  }

  /** Approves (as the user would in a browser) the device sign-in showing `code`; false if none. */
  approveDevice(code: string): boolean {
    return this.#setDevice(code, 'approved');
  }

  /** Declines the device sign-in showing `code`; false if none. */
  declineDevice(code: string): boolean {
    return this.#setDevice(code, 'declined');
  }

  #setDevice(code: string, status: 'approved' | 'declined'): boolean {
    const wanted = code.replace(/[\s-]/g, '').toUpperCase();
    for (const device of this.#devices.values()) {
      if (device.userCode === wanted && device.status === 'pending') {
        device.status = status;
        return true;
      }
    }
    return false;
  }

  /** GET /{tenant}/oauth2/v2.0/authorize: validates, then "signs the user in" and redirects with a code. */
  authorize(tenant: string, query: URLSearchParams, now: Date): AuthorizeAnswer {
    if (!tenantKnown(tenant)) return unknownTenant(tenant);
    const clientId = query.get('client_id');
    if (!clientId) return missing('client_id');
    if (clientId.toLowerCase() !== SIMULATOR_CREDENTIALS.clientId) return unknownClient(clientId, tenant);
    const redirectUri = query.get('redirect_uri');
    if (!redirectUri) return missing('redirect_uri');
    if (!isLoopbackRedirect(redirectUri)) {
      return fail(
        400,
        'invalid_request',
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
      );
    }
    // From here on errors go back to the client on its redirect URI (RFC 6749 §4.1.2.1).
    const back = (params: Record<string, string>): AuthorizeAnswer => {
      const url = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      const state = query.get('state');
      if (state !== null) url.searchParams.set('state', state);
      return { ok: true, location: url.href };
    };
    const error = (e: { error: EntraError }): AuthorizeAnswer =>
      back({ error: e.error.error, error_description: `AADSTS${e.error.code}: ${e.error.message}` });
    if (query.get('response_type') !== 'code') {
      return error(fail(400, 'unsupported_response_type', 700054, "The response_type must be 'code' for this flow."));
    }
    const challenge = query.get('code_challenge');
    if (!challenge) return error(missing('code_challenge'));
    if (query.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return error(
        fail(400, 'invalid_request', 501491, 'Invalid size of Code_Challenge parameter, or a code_challenge_method other than S256.'),
      );
    }
    const scope = parseScope(query.get('scope'));
    if (!scope.ok) return error(scope);
    if (this.#declineNext) {
      this.#declineNext = false;
      return back({ error: 'access_denied', error_description: 'AADSTS65004: User declined to consent to access the app.' });
    }
    const code = `sim-code.${randomCode(24)}`;
    this.#codes.set(code, {
      clientId,
      resource: scope.resource,
      scopes: scope.scopes,
      redirectUri,
      challenge,
      expiresAtMs: now.getTime() + CODE_LIFETIME_MS,
    });
    return back({ code, session_state: randomUUID() });
  }

  /** POST /{tenant}/oauth2/v2.0/devicecode. */
  deviceCode(tenant: string, form: URLSearchParams, verificationUri: string, now: Date): JsonAnswer {
    if (!tenantKnown(tenant)) return unknownTenant(tenant);
    const clientId = form.get('client_id');
    if (!clientId) return missing('client_id');
    if (clientId.toLowerCase() !== SIMULATOR_CREDENTIALS.clientId) return unknownClient(clientId, tenant);
    const scope = parseScope(form.get('scope'));
    if (!scope.ok) return scope;
    const lifetime = this.#o.deviceCodeLifetimeSeconds ?? 900;
    const interval = this.#o.deviceIntervalSeconds ?? 5;
    const deviceCode = `sim-device.${randomCode(32)}`;
    const code = userCode();
    this.#devices.set(deviceCode, {
      clientId,
      resource: scope.resource,
      scopes: scope.scopes,
      userCode: code,
      expiresAtMs: now.getTime() + lifetime * 1000,
      status: 'pending',
      lastPollMs: undefined,
    });
    return {
      ok: true,
      body: {
        user_code: code,
        device_code: deviceCode,
        verification_uri: verificationUri,
        expires_in: lifetime,
        interval,
        message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${code} to authenticate.`,
      },
    };
  }

  /** POST /{tenant}/oauth2/v2.0/token with a user grant; `issuer` is the v2 issuer for id_tokens. */
  token(tenant: string, form: URLSearchParams, issuerOrigin: string, now: Date): JsonAnswer {
    if (!tenantKnown(tenant)) return unknownTenant(tenant);
    const clientId = form.get('client_id');
    if (!clientId) return missing('client_id');
    if (clientId.toLowerCase() !== SIMULATOR_CREDENTIALS.clientId) return unknownClient(clientId, tenant);
    const grant = form.get('grant_type');
    const nowMs = now.getTime();
    if (grant === 'authorization_code') {
      const code = form.get('code');
      if (!code) return missing('code');
      const entry = this.#codes.get(code);
      // One use only (RFC 6749 §4.1.2): a second redemption fails like an unknown code.
      this.#codes.delete(code);
      if (!entry || entry.expiresAtMs <= nowMs || entry.clientId.toLowerCase() !== clientId.toLowerCase()) {
        return fail(
          400,
          'invalid_grant',
          70008,
          'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
        );
      }
      if (form.get('redirect_uri') !== entry.redirectUri) {
        return fail(
          400,
          'invalid_grant',
          50011,
          'The redirect URI specified in the request does not match the redirect URI of the authorization request.',
        );
      }
      const verifier = form.get('code_verifier');
      if (!verifier) return missing('code_verifier');
      if (createHash('sha256').update(verifier, 'ascii').digest('base64url') !== entry.challenge) {
        return fail(
          400,
          'invalid_grant',
          50148,
          'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.',
        );
      }
      return this.#tokens(entry, tenant, issuerOrigin, now);
    }
    if (grant === DEVICE_CODE_GRANT) {
      const deviceCode = form.get('device_code');
      if (!deviceCode) return missing('device_code');
      const device = this.#devices.get(deviceCode);
      if (!device || device.clientId.toLowerCase() !== clientId.toLowerCase()) {
        return fail(400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed.');
      }
      if (device.expiresAtMs <= nowMs) {
        this.#devices.delete(deviceCode);
        return fail(
          400,
          'expired_token',
          70020,
          "The provided value for the input parameter 'device_code' is not valid. This device code has expired.",
        );
      }
      if (device.status === 'declined') {
        this.#devices.delete(deviceCode);
        return fail(400, 'authorization_declined', 70000, 'The user declined the sign-in request.');
      }
      const intervalMs = (this.#o.deviceIntervalSeconds ?? 5) * 1000;
      const early = device.lastPollMs !== undefined && nowMs - device.lastPollMs < intervalMs - POLL_TOLERANCE_MS;
      device.lastPollMs = nowMs;
      if (early) return fail(400, 'slow_down', 70016, 'OAuth 2.0 device flow error. Polling too fast: slow down.');
      if (device.status === 'pending') {
        return fail(400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
      }
      this.#devices.delete(deviceCode);
      return this.#tokens(device, tenant, issuerOrigin, now);
    }
    if (grant === 'refresh_token') {
      const token = form.get('refresh_token');
      if (!token) return missing('refresh_token');
      const entry = this.#refreshTokens.get(token);
      // Rotation: a refresh token is good once; the answer carries its successor.
      this.#refreshTokens.delete(token);
      if (!entry || entry.clientId.toLowerCase() !== clientId.toLowerCase()) {
        return fail(
          400,
          'invalid_grant',
          70000,
          'Provided grant is invalid or malformed. The refresh token is unknown, revoked or already used.',
        );
      }
      const scope = form.has('scope')
        ? parseScope(form.get('scope'))
        : { ok: true as const, resource: entry.resource, scopes: entry.scopes };
      if (!scope.ok) return scope;
      return this.#tokens({ clientId: entry.clientId, resource: scope.resource, scopes: scope.scopes }, tenant, issuerOrigin, now);
    }
    return fail(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant ?? ''}'.`);
  }

  /** Forgets every refresh token, as an administrator revoking the user's sessions would. */
  revokeRefreshTokens(): void {
    this.#refreshTokens.clear();
  }

  #tokens(grant: Grant, tenant: string, issuerOrigin: string, now: Date): JsonAnswer {
    const lifetime = this.#o.lifetimeSeconds;
    const has = (s: string): boolean => grant.scopes.some((p) => p.toLowerCase() === s);
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: grant.scopes.join(' '),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: this.#o.issue(grant.resource, lifetime, now),
    };
    if (has('offline_access')) {
      const refresh = `sim-refresh.${randomCode(32)}`;
      this.#refreshTokens.set(refresh, grant);
      body['refresh_token'] = refresh;
    }
    if (has('openid')) body['id_token'] = idToken(grant.clientId, tenant, issuerOrigin, now, lifetime);
    return { ok: true, body };
  }
}

/**
 * An id_token for the test user. Unsigned (`alg: none`): clients may read it for display but must
 * not trust it — as they must not trust any id_token they did not validate.
 */
function idToken(clientId: string, tenant: string, issuerOrigin: string, now: Date, lifetimeSeconds: number): string {
  const seconds = Math.floor(now.getTime() / 1000);
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const tid = SIMULATOR_CREDENTIALS.tenantId;
  return `${part({ typ: 'JWT', alg: 'none' })}.${part({
    aud: clientId,
    iss: `${issuerOrigin}/${tid}/v2.0`,
    iat: seconds,
    nbf: seconds,
    exp: seconds + lifetimeSeconds,
    name: SIMULATOR_USER.name,
    preferred_username: SIMULATOR_USER.username,
    oid: SIMULATOR_USER.objectId,
    tid,
    ver: '2.0',
    // Which tenant name the client used; not an Entra claim, only to ease debugging.
    sim_tenant: tenant,
  })}.`;
}
