/**
 * The simulated Microsoft Entra ID token endpoint, as pure functions: request validation in the
 * order Entra applies it, and answers in Entra's exact JSON shapes.
 *
 * Error texts are Entra's own (as seen in public bug reports), with `Trace ID`, `Correlation ID`
 * and `Timestamp` lines joined by `\r\n`, and `error_codes`/`timestamp`/`trace_id`/
 * `correlation_id`/`error_uri` beside them (docs/microsoft-apis.md §4).
 */
import { SIMULATOR_CREDENTIALS, SIMULATOR_RESOURCES } from './credentials.js';
import type { TenantTrouble } from './tenants.js';

export type TokenEndpointVersion = 'v1' | 'v2';

/** One Entra error: the AADSTS code, the OAuth `error`, the HTTP status and the message. */
export interface EntraError {
  status: 400 | 401;
  error: string;
  code: number;
  message: string;
}

export interface TokenRequestInput {
  /** The `{tenant}` path segment. */
  tenant: string;
  /**
   * The canonical id of the tenant `tenant` names, or null when the simulator serves no such tenant
   * (AADSTS90002). Default: the published tenant's id for its id or domain, else null.
   */
  tenantId?: string | null;
  /** What is wrong with the app in this tenant; only the token endpoint's kinds matter here. */
  trouble?: TenantTrouble | undefined;
  version: TokenEndpointVersion;
  /** The form body; empty when the body was not `application/x-www-form-urlencoded`. */
  form: URLSearchParams;
  /**
   * Checks a certificate credential (`client_assertion`) for the known client id: undefined when
   * good, else Entra's error (simulator/assertion.ts). Without it, assertions are refused.
   */
  checkAssertion?: (assertion: string, assertionType: string | null, clientId: string) => EntraError | undefined;
}

/** On success, `tenantId` is the canonical id of the tenant the token is issued in. */
export type TokenRequestCheck = { ok: true; resource: string; clientId: string; tenantId: string } | { ok: false; error: EntraError };

const err = (status: 400 | 401, error: string, code: number, message: string): { ok: false; error: EntraError } => ({
  ok: false,
  error: { status, error, code, message },
});

const missing = (name: string): { ok: false; error: EntraError } =>
  err(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);

/** Matches a requested resource to an accepted one: case-insensitive, trailing slash ignored. */
export function acceptedResource(requested: string): string | undefined {
  const norm = (r: string): string => r.trim().replace(/\/+$/, '').toLowerCase();
  return SIMULATOR_RESOURCES.find((r) => norm(r) === norm(requested));
}

/** Checks a client-credentials token request against the published test credentials and the tenant's trouble. */
export function checkTokenRequest({ tenant, tenantId, trouble, version, form, checkAssertion }: TokenRequestInput): TokenRequestCheck {
  const creds = SIMULATOR_CREDENTIALS;
  const defaultTenant = [creds.tenantId, creds.tenantDomain].some((t) => t.toLowerCase() === tenant.toLowerCase());
  const servedId = tenantId === undefined ? (defaultTenant ? creds.tenantId : null) : tenantId;
  if (servedId === null) {
    return err(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }

  const grantType = form.get('grant_type');
  if (!grantType) return missing('grant_type');
  if (grantType !== 'client_credentials') {
    return err(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }

  let requested: string;
  if (version === 'v2') {
    if (form.has('resource')) return err(400, 'invalid_request', 901002, "The 'resource' request parameter is not supported.");
    const scope = form.get('scope');
    if (!scope) return missing('scope');
    if (!/\/\.default$/i.test(scope.trim()) || /\s/.test(scope.trim())) {
      return err(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    requested = scope.trim().replace(/\/\.default$/i, '');
  } else {
    const resource = form.get('resource');
    if (!resource) return missing('resource');
    requested = resource;
  }

  const clientId = form.get('client_id');
  if (!clientId) return missing('client_id');
  if (clientId.toLowerCase() !== creds.clientId || trouble === 'app-unknown') {
    return err(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }

  if (trouble === 'missing-service-principal') {
    // A multi-tenant app whose service principal was never created (or was deleted) in this tenant.
    return err(
      401,
      'invalid_client',
      7000229,
      `The client application ${creds.clientId} is missing service principal in the tenant ${servedId}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`,
    );
  }

  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if ((secret === null || secret === '') && assertion !== null && assertion !== '') {
    // A certificate credential, checked against the app's registered (the simulator's published) certificate.
    const rejected = checkAssertion
      ? checkAssertion(assertion, form.get('client_assertion_type'), clientId)
      : { status: 401 as const, error: 'invalid_client', code: 700027, message: 'Client assertion failed signature validation.' };
    if (rejected) return { ok: false, error: rejected };
  } else if (secret === null || secret === '') {
    return err(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  } else if (secret !== creds.clientSecret) {
    return err(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${creds.clientId}'.`,
    );
  }

  const resource = acceptedResource(requested);
  if (resource === undefined) {
    return err(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${requested} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  if (trouble === 'no-consent') {
    // The app is known, but no administrator of this tenant granted it the API's permissions.
    return err(
      400,
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${creds.clientId}' named 'defender-alerts simulator'. Send an interactive authorization request for this user and resource.`,
    );
  }
  return { ok: true, resource: requested, clientId, tenantId: servedId };
}

/** Entra's `2023-05-06 06:03:00Z` timestamp form. */
function entraTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** The JSON body of an Entra error answer. */
export function entraErrorBody(e: EntraError, ids: { traceId: string; correlationId: string; now: Date }): Record<string, unknown> {
  const timestamp = entraTimestamp(ids.now);
  return {
    error: e.error,
    error_description: `AADSTS${e.code}: ${e.message}\r\nTrace ID: ${ids.traceId}\r\nCorrelation ID: ${ids.correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [e.code],
    timestamp,
    trace_id: ids.traceId,
    correlation_id: ids.correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${e.code}`,
  };
}

/** The answer to GET on the token endpoint, which only accepts POST. */
export const POST_ONLY: EntraError = {
  status: 400,
  error: 'invalid_request',
  code: 900561,
  message: 'The endpoint only accepts POST requests. Received a GET request.',
};

/**
 * The JSON body of a successful token answer. v1 sends every number as a string (as the
 * seed's example shows) and echoes `resource`; v2 sends numbers and no resource.
 */
export function tokenResponseBody(
  version: TokenEndpointVersion,
  t: { accessToken: string; resource: string; lifetimeSeconds: number; now: Date },
): Record<string, unknown> {
  if (version === 'v2') {
    return { token_type: 'Bearer', expires_in: t.lifetimeSeconds, ext_expires_in: t.lifetimeSeconds, access_token: t.accessToken };
  }
  const nowSeconds = Math.floor(t.now.getTime() / 1000);
  return {
    token_type: 'Bearer',
    expires_in: String(t.lifetimeSeconds),
    ext_expires_in: String(t.lifetimeSeconds),
    expires_on: String(nowSeconds + t.lifetimeSeconds),
    not_before: String(nowSeconds),
    resource: t.resource,
    access_token: t.accessToken,
  };
}
