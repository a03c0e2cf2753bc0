/**
 * Entra ID's endpoints: the token endpoint (v1 and v2, secrets and certificate assertions, the user
 * grants) and where a user sign-in starts (authorize, devicecode).
 */
import { randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import { POST_ONLY, checkTokenRequest, entraErrorBody, tokenResponseBody, type EntraError, type TokenEndpointVersion } from '../entra.js';
import type { Fault } from '../faults.js';
import { headerValue, readBody, sendJson } from '../http-util.js';
import { applyFault, requestOrigin, type SimContext } from '../sim-context.js';
import { USER_GRANTS } from '../user-auth.js';

/** POST /{tenant}/oauth2/token (v1) and …/v2.0/token (v2): client credentials, and the user grants. */
export async function handleToken(
  ctx: SimContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  fault: Fault | undefined,
  tenant: string,
  version: TokenEndpointVersion,
): Promise<void> {
  const { userAuth, assertions, tokens, lifetimeSeconds } = ctx;
  const body = await readBody(req);
  if (await applyFault(ctx, req, res, fault)) return;
  const ids = {
    traceId: randomUUID(),
    // Entra echoes the caller's `client-request-id` as the correlation id.
    correlationId: headerValue(req, 'client-request-id') ?? randomUUID(),
    now: ctx.now(),
  };
  const sendError = (e: EntraError): void =>
    sendJson(res, e.status, entraErrorBody(e, ids), { 'x-ms-request-id': ids.traceId, 'cache-control': 'no-store, no-cache' });
  if (req.method !== 'POST') return sendError(POST_ONLY);
  const isForm = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
  const origin = requestOrigin(ctx, req);
  const userForm = new URLSearchParams(isForm ? body : '');
  if (version === 'v2' && USER_GRANTS.has(userForm.get('grant_type') ?? '')) {
    const answer = userAuth.token(tenant, userForm, origin, ids.now);
    if (!answer.ok) return sendError(answer.error);
    return sendJson(res, 200, answer.body, { 'x-ms-request-id': ids.traceId, 'cache-control': 'no-store, no-cache', pragma: 'no-cache' });
  }
  // A client assertion's `aud` must be the URL this request came to: scheme, Host header, path.
  const tokenUrl = `${requestOrigin(ctx, req)}${(req.url ?? '').split('?')[0] ?? ''}`;
  const tenantId = ctx.tenants.idOf(tenant) ?? null;
  const check = checkTokenRequest({
    tenant,
    tenantId,
    trouble: tenantId === null ? undefined : ctx.tenants.troubleOf(tenantId),
    version,
    form: new URLSearchParams(isForm ? body : ''),
    checkAssertion: (assertion, assertionType, clientId) =>
      assertions.check({ assertion, assertionType, clientId, tokenUrl, now: ids.now }),
  });
  if (!check.ok) return sendError(check.error);
  // A fleet tenant's alerts and quota come to be with its first token.
  ctx.tenants.get(check.tenantId);
  const accessToken = tokens.issue(check.resource, lifetimeSeconds, ids.now, check.tenantId);
  sendJson(res, 200, tokenResponseBody(version, { accessToken, resource: check.resource, lifetimeSeconds, now: ids.now }), {
    'x-ms-request-id': ids.traceId,
    'cache-control': 'no-store, no-cache',
    pragma: 'no-cache',
  });
}

/** GET …/authorize (a browser) and POST …/devicecode: the start of a user sign-in. */
export async function handleUserStart(
  ctx: SimContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  fault: Fault | undefined,
  url: URL,
  tenant: string,
  endpoint: string,
): Promise<void> {
  const { userAuth } = ctx;
  const body = await readBody(req);
  if (await applyFault(ctx, req, res, fault)) return;
  const at = ctx.now();
  const ids = { traceId: randomUUID(), correlationId: headerValue(req, 'client-request-id') ?? randomUUID(), now: at };
  const origin = requestOrigin(ctx, req);
  if (endpoint === 'authorize') {
    const answer = userAuth.authorize(tenant, url.searchParams, at);
    if (answer.ok) {
      res.writeHead(302, { location: answer.location, 'cache-control': 'no-store' }).end();
      return;
    }
    // A bad client or redirect URI is shown to the user, never sent to that URI (RFC 6749 §4.1.2.1).
    return sendJson(res, answer.error.status, entraErrorBody(answer.error, ids));
  }
  if (req.method !== 'POST') return sendJson(res, 400, entraErrorBody(POST_ONLY, ids));
  const isForm = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
  const answer = userAuth.deviceCode(tenant, new URLSearchParams(isForm ? body : ''), `${origin}/_sim/device`, at);
  if (!answer.ok) return sendJson(res, answer.error.status, entraErrorBody(answer.error, ids));
  sendJson(res, 200, answer.body, { 'cache-control': 'no-store' });
}
