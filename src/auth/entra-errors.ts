/**
 * Entra ID (Azure AD) token errors → AuthError with the AADSTS code, its first sentence, the
 * trace id, and advice for the common ones. Pure. We react to the `error_codes`, never to prose
 * (docs/microsoft-apis.md §4).
 */
import { z } from 'zod';
import { AuthError, codeName } from '../errors.js';

const EntraErrorBody = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
  error_codes: z.array(z.number()).optional(),
  trace_id: z.string().optional(),
  correlation_id: z.string().optional(),
});

/** Advice per AADSTS code: what the user most likely got wrong, and where to fix it. */
export const AADSTS_HINTS: Readonly<Record<number, string>> = {
  7000215: "the client secret is wrong: use the secret's Value (shown once when it was created), not its Secret ID",
  7000222: 'the client secret has expired: create a new one under the app registration\'s "Certificates & secrets"',
  7000218: 'no client secret or assertion reached Entra ID: set AZURE_CLIENT_SECRET, --client-secret-file or --certificate',
  700016:
    'the application was not found in this tenant: check --client-id and --tenant, and that the app is registered (or consented) in this tenant',
  90002: 'the tenant was not found: check --tenant (the directory (tenant) id GUID, or a verified domain)',
  50034: 'the account does not exist in this tenant: check --tenant',
  500011:
    "the API is not available in this tenant: check --resource (apps created by the portal's SIEM wizard use https://graph.windows.net) and that Defender for Endpoint is onboarded",
  70011: 'the scope is invalid for this API: check --resource',
  901002: 'the v2 token endpoint does not take resource=: this is a bug in the token request, please report it',
  7000112: 'the application is disabled in this tenant: an administrator must enable it',
  700027:
    'the client assertion signature is invalid: upload this certificate (the public part) to the app registration\'s "Certificates & secrets"',
  700024: "the client assertion is outside its valid time: check this machine's clock",
  700023: 'the client assertion is for another token endpoint: check --authority-host and --tenant',
  700021: 'the client assertion names another application: check --client-id',
  50027: 'the client assertion is not a valid JWT: check the certificate file',
  50048: "the client assertion's issuer and subject differ: this is a bug, please report it",
  // For user assertions (on-behalf-of); client assertions out of time get 700024.
  500133: "the assertion is outside its valid time: check this machine's clock",
  65001: 'the application has no admin consent for this API: grant admin consent for its API permissions',
};

/**
 * Codes that mean the app is not (yet) consented in the tenant it asked a token of: the commonest
 * failure of a multi-tenant app in a customer's tenant (docs/microsoft-apis.md §4).
 * 7000229: no service principal for the app in that tenant; 65001: no consent for the permissions;
 * 700016: no app of that id in that tenant (a wrong --client-id looks the same).
 */
export const CONSENT_CODES: ReadonlySet<number> = new Set([7000229, 65001, 700016]);

/** Who asked, so that a consent failure can say where an administrator grants it. */
export interface SignInIdentity {
  authorityHost: URL;
  tenant: string;
  clientId: string;
}

/**
 * The admin consent URL of an app in a tenant: an administrator of that tenant opens it, signs in,
 * and grants the permissions the app registration asks for.
 */
export function adminConsentUrl({ authorityHost, tenant, clientId }: SignInIdentity): string {
  return `${authorityHost.origin}/${encodeURIComponent(tenant)}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}

function consentHint(code: number, who: SignInIdentity): string {
  const url = adminConsentUrl(who);
  const what =
    code === 700016
      ? `the app ${who.clientId} is not known in tenant ${who.tenant}: either --client-id is wrong, or the app was never consented there`
      : `the app ${who.clientId} has not been consented in tenant ${who.tenant}`;
  return `${what}; an administrator of that tenant grants it at ${url} (it can take a few minutes to apply)`;
}

/** The first sentence of an AADSTS description, without the Trace ID/Correlation ID/Timestamp tail. */
export function firstSentence(description: string): string {
  const head = description.split(/\r?\n/)[0] ?? description;
  const match = /^(AADSTS\d+: .*?[.!?])(\s|$)/.exec(head);
  return (match?.[1] ?? head).trim();
}

/**
 * Builds the error for a token endpoint answer that is not a token: an Entra error JSON, or
 * anything else a proxy or captive portal might put there.
 */
export function entraError(status: number, bodyText: string, tokenUrl: string, who?: SignInIdentity): AuthError {
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    json = undefined;
  }
  const parsed = EntraErrorBody.safeParse(json);
  if (!parsed.success) {
    return new AuthError('TOKEN_HTTP_ERROR', `the token endpoint ${tokenUrl} answered HTTP ${status} without an Entra ID error`, {
      hint: 'check --authority-host and any proxy in between',
    });
  }
  const body = parsed.data;
  const code = body.error_codes?.[0] ?? Number(/AADSTS(\d+)/.exec(body.error_description ?? '')?.[1] ?? NaN);
  const sentence = body.error_description ? firstSentence(body.error_description) : body.error;
  const trace = body.trace_id ? ` (trace id ${body.trace_id})` : '';
  const hint =
    (who !== undefined && CONSENT_CODES.has(code) ? consentHint(code, who) : undefined) ??
    (Number.isFinite(code) ? AADSTS_HINTS[code] : undefined) ??
    (body.error === 'invalid_client' ? 'check --client-id and the client secret' : undefined);
  return new AuthError(
    Number.isFinite(code) ? `AADSTS${code}` : `OAUTH_${codeName(body.error)}`,
    `Entra ID refused the sign-in: ${sentence}${trace}`,
    { hint },
  );
}
