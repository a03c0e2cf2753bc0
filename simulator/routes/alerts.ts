/**
 * The alert APIs: `/api/alerts` is both the SIEM API and the Defender for Endpoint API (the token's
 * audience decides, as on the real hosts), `/v1.0/security/alerts_v2` is Graph's. Each answers
 * from the alerts of the tenant its token was issued in, and charges that tenant's quota of the API
 * (Defender for Endpoint's or Graph's; the SIEM API documents none).
 * Throttling, random failures, a tenant's trouble, the quota and the OData quirks apply here.
 */
import type * as http from 'node:http';
import { streamAlertArray } from '../alert-stream.js';
import { audienceOf } from '../credentials.js';
import type { Fault } from '../faults.js';
import { apiError, headerValue, sendJson } from '../http-util.js';
import { odataAnswer } from '../odata-answer.js';
import { odataErrorBody, type ODataService } from '../odata.js';
import { formatWindow, type SlidingWindowLimit } from '../rate-limit.js';
import { applyFault, GRAPH_ALERTS_PATH, requestOrigin, type SimContext } from '../sim-context.js';
import { InvalidQueryError } from '../store.js';
import type { Tenant, TenantTrouble } from '../tenants.js';

/** GET /api/alerts (the SIEM API or Defender for Endpoint, by the token's audience) and Graph's alerts_v2. */
export async function handleAlerts(
  ctx: SimContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  fault: Fault | undefined,
  url: URL,
): Promise<void> {
  const { tokens, now } = ctx;
  ctx.alertRequests += 1;
  // `/api/alerts` is both the SIEM API and the Defender for Endpoint API: the token's audience
  // decides which answers (and in which error format). Graph's path is Graph's alone.
  const early = tokens.check(req.headers.authorization, now());
  const audience = early.ok ? audienceOf(early.resource) : undefined;
  const service: ODataService | undefined =
    url.pathname === GRAPH_ALERTS_PATH ? 'graph' : audience === 'mde' || audience === 'graph' ? 'mde' : undefined;
  const fail = (status: number, code: string, message: string, headers: http.OutgoingHttpHeaders = {}): void =>
    sendJson(
      res,
      status,
      service === undefined
        ? apiError(status, message)
        : odataErrorBody(service, code, message, now(), headerValue(req, 'client-request-id')),
      headers,
    );
  if (await applyFault(ctx, req, res, fault, service !== undefined)) return;
  // Checked again after the delay: a token may expire while the answer waits.
  const auth = tokens.check(req.headers.authorization, now());
  if (req.method !== 'GET') return fail(405, 'MethodNotAllowed', 'Use GET.', { allow: 'GET' });
  const throttle = ctx.throttle;
  if (throttle > 0 && ctx.alertRequests % throttle === 0) {
    return fail(429, 'TooManyRequests', 'Too many requests (simulated throttling).', { 'retry-after': '1' });
  }
  if (ctx.failRate > 0 && ctx.failRng.next() < ctx.failRate) {
    return fail(500, 'InternalServerError', 'Error in the service (simulated).');
  }
  if (service !== undefined) {
    if (!auth.ok) {
      // (An MDE request gets here only with a token that expired while its answer waited.)
      const why = {
        missing: 'Access token is empty.',
        unknown: 'Access token validation failure.',
        expired: 'Lifetime validation failed, the token is expired.',
      }[auth.reason];
      return fail(401, 'InvalidAuthenticationToken', why, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    if (auth.ok && service === 'graph' && audience !== 'graph') {
      return fail(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.', {
        'www-authenticate': 'Bearer error="invalid_token", error_description="The audience is invalid"',
      });
    }
    if (auth.ok && service === 'mde' && audience !== 'mde') {
      return fail(401, 'InvalidAuthenticationToken', `Authorization failed. Audience validation failed. Audience: ${auth.resource}`, {
        'www-authenticate': 'Bearer error="invalid_token", error_description="The audience is invalid"',
      });
    }
    const tenant = tenantOf(ctx, auth.tenant);
    const trouble = ctx.tenants.troubleOf(tenant.id);
    if (trouble !== undefined && isApiTrouble(trouble)) return fail(...troubleAnswer(trouble, service, tenant.id));
    const admitted = (service === 'mde' ? tenant.mdeQuota : tenant.graphQuota).take(now().getTime());
    if (!admitted.ok) {
      return fail(429, 'TooManyRequests', quotaMessage(service, admitted.limit), { 'retry-after': String(admitted.retryAfterSeconds) });
    }
    const answer = odataAnswer(tenant.store, {
      service,
      tenantId: tenant.id,
      url,
      origin: requestOrigin(ctx, req, 'localhost'),
      now: now(),
      clientRequestId: headerValue(req, 'client-request-id'),
      quirks: ctx.quirks,
    });
    // A scripted 2xx (Graph's 206 partial answer) keeps the page as its body.
    const status = answer.status === 200 && fault?.status !== undefined ? fault.status : answer.status;
    return sendJson(res, status, answer.body);
  }
  if (!auth.ok) {
    const why = {
      missing: 'The request has no Bearer token in its Authorization header.',
      unknown: 'The Bearer token is not one this service issued.',
      expired: 'The Bearer token has expired.',
    }[auth.reason];
    return sendJson(res, 401, apiError(401, `Malformed request or invalid token. ${why}`), {
      'www-authenticate': 'Bearer error="invalid_token"',
    });
  }
  const tenant = tenantOf(ctx, auth.tenant);
  const trouble = ctx.tenants.troubleOf(tenant.id);
  if (trouble !== undefined && isApiTrouble(trouble)) return fail(...troubleAnswer(trouble, service, tenant.id));
  const q = url.searchParams;
  const one = (name: string): string | undefined => q.get(name) ?? undefined;
  let result;
  try {
    result = tenant.store.query(
      {
        sinceTimeUtc: one('sinceTimeUtc'),
        untilTimeUtc: one('untilTimeUtc'),
        ago: one('ago'),
        limit: one('limit'),
        machinegroups: q.getAll('machinegroups'),
        deviceTag: one('DeviceCreatedMachineTags'),
        cloudTag: one('CloudCreatedMachineTags'),
      },
      now(),
    );
  } catch (e) {
    if (e instanceof InvalidQueryError) return sendJson(res, 400, apiError(400, e.message));
    throw e;
  }
  await streamAlertArray(res, result.alerts, { cutAfterAlerts: fault?.cutAfterAlerts });
}

/**
 * A 429's message in each API's words: Defender for Endpoint names the limit that was hit
 * (docs/microsoft-apis.md §2); Graph's is the sample of https://learn.microsoft.com/graph/throttling,
 * which names none.
 */
function quotaMessage(service: ODataService, limit: SlidingWindowLimit): string {
  if (service === 'graph') return 'Please retry again later.';
  return `API calls quota exceeded! maximum allowed ${limit.limit} per ${formatWindow(limit.windowMs)}`;
}

/** The tenant a valid token was issued in (always one the simulator serves: tenants never go away). */
function tenantOf(ctx: SimContext, id: string): Tenant {
  const tenant = ctx.tenants.get(id);
  if (tenant === undefined) throw new Error(`a token names tenant ${id}, which the simulator does not serve`);
  return tenant;
}

type ApiTrouble = Extract<TenantTrouble, 'forbidden' | 'server-error'>;

/** Trouble the alert APIs answer; the other kinds are Entra's, at the token endpoint. */
function isApiTrouble(trouble: TenantTrouble): trouble is ApiTrouble {
  return trouble === 'forbidden' || trouble === 'server-error';
}

/**
 * A tenant's trouble as each API words it: the status, OData code and message `fail` sends. A 403
 * is what an app gets whose token is good but whose API permission was never granted in the tenant.
 */
function troubleAnswer(trouble: ApiTrouble, service: ODataService | undefined, tenantId: string): [number, string, string] {
  if (trouble === 'server-error') return [500, 'InternalServerError', 'Error in the service.'];
  const message =
    service === 'mde'
      ? 'The application does not have any of the required application permissions (Alert.Read.All, Alert.ReadWrite.All) to access the resource.'
      : service === 'graph'
        ? "Missing role permissions on the request. API requires one of 'SecurityAlert.Read.All, SecurityAlert.ReadWrite.All'. Roles on the request ''."
        : `The application is not authorized to read the alerts of tenant ${tenantId}.`;
  return [403, 'Forbidden', message];
}
