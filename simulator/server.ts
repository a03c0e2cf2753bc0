/**
 * The local simulator: Microsoft Entra ID's token endpoint and the three alert APIs (the SIEM
 * alert-export API, the Defender for Endpoint alerts API, Graph alerts_v2) on one loopback
 * server, over HTTPS (a fresh self-signed certificate) or HTTP. What the real services do beyond
 * their documentation (pages without next links, shared quotas, foreign next links, bulk-updated
 * alerts) can be switched on one by one; all of it is off by default.
 *
 * Routes:
 *   POST /{tenant}/oauth2/token        v1 client credentials (`resource=`)
 *   POST /{tenant}/oauth2/v2.0/token   v2 client credentials (`scope=<resource>/.default`); user grants
 *                                      authorization_code (PKCE), device_code, refresh_token (user-auth.ts)
 *   GET  /{tenant}/oauth2/v2.0/authorize   user sign-in: auto-approves, 302 to the loopback redirect_uri
 *   POST /{tenant}/oauth2/v2.0/devicecode  device code sign-in (approve: POST /_sim/device/approve)
 *   GET  /api/alerts                   by the token's audience: the SIEM API (`sinceTimeUtc`, `untilTimeUtc`,
 *                                      `ago`, `limit`, …) or the Defender for Endpoint alerts API (OData)
 *   GET  /v1.0/security/alerts_v2      Microsoft Graph alerts_v2 (OData; Graph tokens only)
 *   GET  /_sim/stats                   what the simulator saw (simulator only)
 *   POST /_sim/faults, DELETE /_sim/faults   script failures (simulator only)
 *   POST /_sim/alerts                  add alerts (JSON array) (simulator only)
 *   POST /_sim/update                  `{"alertId"}`: re-process an alert now (simulator only)
 *   POST /_sim/device/approve, /_sim/device/decline   `{"user_code"}`: finish a device sign-in (simulator only)
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { hostname, tmpdir } from 'node:os';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../src/errors.js';
import { streamAlertArray } from './alert-stream.js';
import type { SiemAlert } from './alert-types.js';
import { ClientAssertionVerifier, simulatorClientCertificate } from './assertion.js';
import { generateSelfSignedCert } from './cert.js';
import { DEFAULT_SIMULATOR_RESOURCE, SIMULATOR_CREDENTIALS, audienceOf } from './credentials.js';
import {
  POST_ONLY,
  checkTokenRequest,
  entraErrorBody,
  tokenResponseBody,
  type EntraError,
  type TokenEndpointVersion,
} from './entra.js';
import { FaultQueue, parseFaults, type Fault, type FaultRoute } from './faults.js';
import { odataAnswer, type ODataQuirks } from './odata-answer.js';
import { odataErrorBody, type ODataService } from './odata.js';
import { createRng, hashSeed } from './prng.js';
import { Quota, SlidingWindowLimit, formatWindow } from './rate-limit.js';
import { SimulatorStats, type RecordedRequest, type SimulatorRoute } from './stats.js';
import { AlertStore, InvalidQueryError } from './store.js';
import { TokenRegistry } from './tokens.js';
import { USER_GRANTS, UserAuthority } from './user-auth.js';

export interface SimulatorOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** Serve HTTPS with a fresh self-signed certificate (default true). */
  https?: boolean;
  /** Where `ca.pem` is written (default: a fresh directory under the OS temp dir, removed on close). */
  certDir?: string;
  /** Initial number of alert records (default 50). */
  alerts?: number;
  /** Hours the initial alerts are spread over, ending now (default 3). */
  windowHours?: number;
  /** New alerts per minute, arriving as the clock advances (default 0). */
  rate?: number;
  /** Seed for alert content and random failures (default 1). */
  seed?: number;
  /** Fraction (0..1) of alert requests answered 500 (default 0). */
  failRate?: number;
  /** Every Nth alert request is answered 429 with `Retry-After: 1` (default 0: never). */
  throttle?: number;
  /**
   * Defender for Endpoint alert calls admitted per sliding minute; more are answered 429 with
   * `Retry-After` (default 100, the documented limit).
   */
  mdeCallsPerMinute?: number;
  /** Defender for Endpoint alert calls admitted per sliding hour (default 1500, the documented limit). */
  mdeCallsPerHour?: number;
  /**
   * Length in seconds of the "minute" of `mdeCallsPerMinute` (default 60). Shorter windows let a test
   * exercise throttling without waiting a real minute.
   */
  mdeMinuteSeconds?: number;
  /**
   * Calls another client of the same app registration has already made when the simulator starts,
   * charged to the Defender for Endpoint quotas (default 0): the quota is per app and tenant.
   */
  quotaUsed?: number;
  /** Defender for Endpoint: no `@odata.nextLink` when the request has `$top` (default false), as users report. */
  mdeNoNextLinkWithTop?: boolean;
  /** Defender for Endpoint: rows in an order unrelated to time (default false; the order is undocumented). */
  mdeUnordered?: boolean;
  /** Next links of both OData APIs point to this origin instead of the one asked (default: the one asked). */
  foreignNextLinks?: string;
  /**
   * This many of the initial alerts share one last-update time, halfway through the initial window,
   * as after a bulk change in the portal (default 0).
   */
  sharedUpdateTime?: number;
  /** Delay before answering each token or alert request, in ms (default 0). */
  latencyMs?: number;
  /** Lifetime of issued tokens, in seconds (default 3599, as Entra ID). */
  tokenLifetimeSeconds?: number;
  /** Serve Microsoft's published example alerts among the initial ones (default true). */
  includeExamples?: boolean;
  /** Polling interval the device code endpoint asks for, in seconds (default 5, as Entra ID). */
  deviceIntervalSeconds?: number;
  /** Clock (default: the system clock). */
  now?: () => Date;
}

export interface SimulatorConnection {
  tenantId: string;
  tenantDomain: string;
  clientId: string;
  clientSecret: string;
  /** The v1 `resource` to ask for (v2: `${resource}/.default`). */
  resource: string;
}

export interface Simulator {
  /** Origin, e.g. `https://127.0.0.1:49152`: both the authority host and the API base URL. */
  url: string;
  /** Path of the PEM certificate to trust (HTTPS only). */
  caCertPath?: string;
  /** The same certificate, PEM (HTTPS only). */
  caCertPem?: string;
  /** Path of `client-cert.pem`, the app's certificate credential: certificate + key, TEST ONLY (HTTPS only). */
  clientCertificatePath?: string;
  /** The same PEM bundle (certificate, then PKCS#8 key), with HTTP too. */
  clientCertificatePem?: string;
  credentials: SimulatorConnection;
  store: AlertStore;
  stats: SimulatorStats;
  faults: FaultQueue;
  /** Approves the device sign-in showing `userCode` (as the user would in a browser); false if none is pending. */
  approveDevice(userCode: string): boolean;
  /** Declines the device sign-in showing `userCode`; false if none is pending. */
  declineDevice(userCode: string): boolean;
  /** The next browser sign-in is declined by the user (a redirect with error=access_denied). */
  declineNextSignIn(): void;
  /** Revokes every refresh token issued so far (the next refresh gets invalid_grant). */
  revokeRefreshTokens(): void;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_BODY_BYTES = 1024 * 1024;

/** Starts a simulator; resolves once it listens. Throws UsageError for invalid options or a busy port. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  validate(opts);
  const now = opts.now ?? ((): Date => new Date());
  const host = opts.host ?? '127.0.0.1';
  const useHttps = opts.https ?? true;
  const seed = opts.seed ?? 1;
  const lifetimeSeconds = opts.tokenLifetimeSeconds ?? 3599;
  const latencyMs = opts.latencyMs ?? 0;
  const store = new AlertStore({
    now: now(),
    seed,
    initial: opts.alerts ?? 50,
    windowHours: opts.windowHours ?? 3,
    ratePerMinute: opts.rate ?? 0,
    includeExamples: opts.includeExamples ?? true,
  });
  const stats = new SimulatorStats();
  const faults = new FaultQueue();
  const tokens = new TokenRegistry();
  const userAuth = new UserAuthority({
    issue: (resource, seconds, at) => tokens.issue(resource, seconds, at),
    lifetimeSeconds,
    ...(opts.deviceIntervalSeconds === undefined ? {} : { deviceIntervalSeconds: opts.deviceIntervalSeconds }),
  });
  const clientCert = await simulatorClientCertificate();
  const assertions = new ClientAssertionVerifier(clientCert.certPem);
  const failRng = createRng(hashSeed(seed, 0xfa11));
  const closing = new AbortController();
  let alertRequests = 0;
  const mdeQuota = new Quota([
    new SlidingWindowLimit(opts.mdeCallsPerMinute ?? 100, (opts.mdeMinuteSeconds ?? 60) * 1000),
    new SlidingWindowLimit(opts.mdeCallsPerHour ?? 1500, 3_600_000),
  ]);
  mdeQuota.charge(opts.quotaUsed ?? 0, now().getTime());
  if ((opts.sharedUpdateTime ?? 0) > 0) {
    store.bulkUpdate(opts.sharedUpdateTime ?? 0, new Date(now().getTime() - ((opts.windowHours ?? 3) * 3_600_000) / 2));
  }
  const quirks: ODataQuirks = {
    mdeNoNextLinkWithTop: opts.mdeNoNextLinkWithTop ?? false,
    mdeUnordered: opts.mdeUnordered ?? false,
    ...(opts.foreignNextLinks === undefined ? {} : { nextLinkOrigin: new URL(opts.foreignNextLinks).origin }),
  };

  const delay = async (ms: number): Promise<boolean> => {
    if (ms <= 0) return true;
    try {
      await sleep(ms, undefined, { signal: closing.signal });
      return true;
    } catch {
      return false;
    }
  };

  /** Applies the fault's and the configured delay, a reset, or a canned answer; true if answered. */
  const applyFault = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    fault: Fault | undefined,
    odata = false,
  ): Promise<boolean> => {
    if (!(await delay(latencyMs + (fault?.delayMs ?? 0)))) return true;
    if (fault?.resetBeforeHeaders) {
      resetSocket(req.socket);
      return true;
    }
    if (odata && fault?.status !== undefined && fault.status < 300 && fault.body === undefined) {
      // Graph's partial answer (206 + Warning): the normal page, with the fault's status and headers.
      for (const [name, value] of Object.entries(fault.headers ?? {})) res.setHeader(name, value);
      return false;
    }
    if (fault?.status !== undefined || fault?.body !== undefined) {
      const status = fault.status ?? 200;
      const headers: http.OutgoingHttpHeaders = { ...fault.headers, 'content-type': fault.contentType ?? JSON_TYPE };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      res.writeHead(status, headers);
      res.end(fault.body ?? JSON.stringify(apiError(status, 'Simulated fault.')));
      return true;
    }
    return false;
  };

  const handleToken = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    tenant: string,
    version: TokenEndpointVersion,
  ): Promise<void> => {
    const body = await readBody(req);
    if (await applyFault(req, res, record(req).fault as Fault | undefined)) return;
    const ids = {
      traceId: randomUUID(),
      // Entra echoes the caller's `client-request-id` as the correlation id.
      correlationId: headerValue(req, 'client-request-id') ?? randomUUID(),
      now: now(),
    };
    const sendError = (e: EntraError): void =>
      sendJson(res, e.status, entraErrorBody(e, ids), { 'x-ms-request-id': ids.traceId, 'cache-control': 'no-store, no-cache' });
    if (req.method !== 'POST') return sendError(POST_ONLY);
    const isForm = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
    const origin = `${useHttps ? 'https' : 'http'}://${req.headers.host ?? ''}`;
    const userForm = new URLSearchParams(isForm ? body : '');
    if (version === 'v2' && USER_GRANTS.has(userForm.get('grant_type') ?? '')) {
      const answer = userAuth.token(tenant, userForm, origin, ids.now);
      if (!answer.ok) return sendError(answer.error);
      return sendJson(res, 200, answer.body, { 'x-ms-request-id': ids.traceId, 'cache-control': 'no-store, no-cache', pragma: 'no-cache' });
    }
    // A client assertion's `aud` must be the URL this request came to: scheme, Host header, path.
    const tokenUrl = `${useHttps ? 'https' : 'http'}://${req.headers.host ?? ''}${(req.url ?? '').split('?')[0] ?? ''}`;
    const check = checkTokenRequest({
      tenant,
      version,
      form: new URLSearchParams(isForm ? body : ''),
      checkAssertion: (assertion, assertionType, clientId) =>
        assertions.check({ assertion, assertionType, clientId, tokenUrl, now: ids.now }),
    });
    if (!check.ok) return sendError(check.error);
    const accessToken = tokens.issue(check.resource, lifetimeSeconds, ids.now);
    sendJson(
      res,
      200,
      tokenResponseBody(version, { accessToken, resource: check.resource, lifetimeSeconds, now: ids.now }),
      { 'x-ms-request-id': ids.traceId, 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
    );
  };

  /** GET …/authorize (a browser) and POST …/devicecode: the start of a user sign-in. */
  const handleUserStart = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, tenant: string, endpoint: string): Promise<void> => {
    const body = await readBody(req);
    if (await applyFault(req, res, record(req).fault as Fault | undefined)) return;
    const at = now();
    const ids = { traceId: randomUUID(), correlationId: headerValue(req, 'client-request-id') ?? randomUUID(), now: at };
    const origin = `${useHttps ? 'https' : 'http'}://${req.headers.host ?? ''}`;
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
  };

  const handleAlerts = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    const fault = record(req).fault as Fault | undefined;
    alertRequests += 1;
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
        service === undefined ? apiError(status, message) : odataErrorBody(service, code, message, now(), headerValue(req, 'client-request-id')),
        headers,
      );
    if (await applyFault(req, res, fault, service !== undefined)) return;
    // Checked again after the delay: a token may expire while the answer waits.
    const auth = tokens.check(req.headers.authorization, now());
    if (req.method !== 'GET') return fail(405, 'MethodNotAllowed', 'Use GET.', { allow: 'GET' });
    const throttle = opts.throttle ?? 0;
    if (throttle > 0 && alertRequests % throttle === 0) {
      return fail(429, 'TooManyRequests', 'Too many requests (simulated throttling).', { 'retry-after': '1' });
    }
    if ((opts.failRate ?? 0) > 0 && failRng.next() < (opts.failRate ?? 0)) {
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
      if (service === 'mde') {
        const admitted = mdeQuota.take(now().getTime());
        if (!admitted.ok) {
          // The real API's words (its 429 bodies name the limit that was hit).
          const { limit, retryAfterSeconds } = admitted;
          return fail(429, 'TooManyRequests', `API calls quota exceeded! maximum allowed ${limit.limit} per ${formatWindow(limit.windowMs)}`, {
            'retry-after': String(retryAfterSeconds),
          });
        }
      }
      const answer = odataAnswer(store, {
        service,
        url,
        origin: `${useHttps ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`,
        now: now(),
        clientRequestId: headerValue(req, 'client-request-id'),
        quirks,
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
    const q = url.searchParams;
    const one = (name: string): string | undefined => q.get(name) ?? undefined;
    let result;
    try {
      result = store.query(
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
  };

  const handleSim = async (req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> => {
    record(req);
    const body = await readBody(req);
    const key = `${req.method ?? ''} ${path}`;
    try {
      switch (key) {
        case 'GET /_sim/stats':
          return sendJson(res, 200, stats.toJSON());
        case 'GET /_sim/faults':
          return sendJson(res, 200, faults.pending);
        case 'POST /_sim/faults': {
          const parsed = parseFaults(JSON.parse(body));
          faults.push(...parsed);
          return sendJson(res, 200, { queued: parsed.length, pending: faults.pending.length });
        }
        case 'DELETE /_sim/faults':
          faults.clear();
          return sendJson(res, 200, { pending: 0 });
        case 'POST /_sim/alerts': {
          const alerts = JSON.parse(body) as unknown;
          if (!Array.isArray(alerts)) throw new Error('the body must be a JSON array of alerts');
          store.add(alerts as SiemAlert[]);
          return sendJson(res, 200, { added: alerts.length });
        }
        case 'POST /_sim/device/approve':
        case 'POST /_sim/device/decline': {
          const { user_code: code } = JSON.parse(body) as { user_code?: unknown };
          if (typeof code !== 'string') throw new Error('the body must be {"user_code": "..."}');
          const done = key.endsWith('approve') ? userAuth.approveDevice(code) : userAuth.declineDevice(code);
          return done ? sendJson(res, 200, { user_code: code }) : sendJson(res, 404, apiError(404, `No pending device sign-in with the code ${code}.`));
        }
        case 'POST /_sim/update': {
          const { alertId } = JSON.parse(body) as { alertId?: unknown };
          if (typeof alertId !== 'string') throw new Error('the body must be {"alertId": "..."}');
          return sendJson(res, 200, { updated: store.update(alertId, now()) });
        }
        default:
          return sendJson(res, 404, apiError(404, `No simulator route ${key}.`));
      }
    } catch (e) {
      return sendJson(res, 400, apiError(400, e instanceof Error ? e.message : String(e)));
    }
  };

  const records = new WeakMap<http.IncomingMessage, RecordedRequest>();
  /** Records the request (once) and takes its fault, for the fault-bearing routes. */
  const record = (req: http.IncomingMessage): RecordedRequest => {
    const existing = records.get(req);
    if (existing) return existing;
    const url = new URL(req.url ?? '/', 'http://simulator');
    const route = routeOf(url.pathname);
    const query: Record<string, string[]> = {};
    for (const name of new Set(url.searchParams.keys())) query[name] = url.searchParams.getAll(name);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = value;
    const entry = stats.record({ route, method: req.method ?? '', path: url.pathname, query, headers, receivedAt: now().toISOString() });
    const fault = route === 'alerts' || route === 'token' ? faults.take(route satisfies FaultRoute) : undefined;
    if (fault) entry.fault = fault;
    records.set(req, entry);
    return entry;
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const entry = record(req);
    res.on('finish', () => (entry.status = res.statusCode));
    const token = TOKEN_PATH.exec(url.pathname);
    const userStart = USER_START_PATH.exec(url.pathname);
    const work =
      userStart?.[1] && userStart[2]
        ? handleUserStart(req, res, url, decodeURIComponent(userStart[1]), userStart[2])
        : entry.route === 'alerts'
        ? handleAlerts(req, res, url)
        : entry.route === 'token' && token?.[1]
          ? handleToken(req, res, decodeURIComponent(token[1]), token[2] ? 'v2' : 'v1')
          : entry.route === 'sim'
            ? handleSim(req, res, url.pathname)
            : Promise.resolve(sendJson(res, 404, apiError(404, `No route ${req.method ?? ''} ${url.pathname}.`)));
    work.catch((e: unknown) => {
      // A bug in the simulator: answer 500 if still possible, and never crash the process.
      if (!res.headersSent) sendJson(res, 500, apiError(500, `Simulator bug: ${String(e)}`));
      else res.destroy();
    });
  };

  let certDir: string | undefined;
  let createdCertDir = false;
  let caCertPem: string | undefined;
  let server: http.Server;
  if (useHttps) {
    const { certPem, keyPem } = generateSelfSignedCert({ hosts: certHosts(host) });
    caCertPem = certPem;
    if (opts.certDir === undefined) {
      certDir = await mkdtemp(join(tmpdir(), 'defender-alerts-sim-'));
      createdCertDir = true;
    } else {
      certDir = opts.certDir;
      await mkdir(certDir, { recursive: true });
    }
    await writeFile(join(certDir, 'ca.pem'), certPem, { mode: 0o644 });
    // It holds a private key: owner-only, as readCertificateFile expects (it warns otherwise).
    await writeFile(join(certDir, 'client-cert.pem'), clientCert.certPem + clientCert.keyPem, { mode: 0o600 });
    server = https.createServer({ cert: certPem, key: keyPem }, handler);
  } else {
    server = http.createServer(handler);
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    if (createdCertDir && certDir) await rm(certDir, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new UsageError(`port ${opts.port ?? 0} on ${host} is already in use`, {
        cause: e,
        hint: 'Choose another --port, or 0 for a free one.',
      });
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') {
      throw new UsageError(`cannot listen on ${host}:${opts.port ?? 0} (${code})`, { cause: e });
    }
    throw e;
  }

  const { port } = server.address() as AddressInfo;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  const sim: Simulator = {
    url: `${useHttps ? 'https' : 'http'}://${urlHost}:${port}`,
    credentials: {
      tenantId: SIMULATOR_CREDENTIALS.tenantId,
      tenantDomain: SIMULATOR_CREDENTIALS.tenantDomain,
      clientId: SIMULATOR_CREDENTIALS.clientId,
      clientSecret: SIMULATOR_CREDENTIALS.clientSecret,
      resource: DEFAULT_SIMULATOR_RESOURCE,
    },
    store,
    stats,
    faults,
    approveDevice: (code) => userAuth.approveDevice(code),
    declineDevice: (code) => userAuth.declineDevice(code),
    declineNextSignIn: () => userAuth.declineNextSignIn(),
    revokeRefreshTokens: () => userAuth.revokeRefreshTokens(),
    close: async () => {
      closing.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (createdCertDir && certDir) await rm(certDir, { recursive: true, force: true });
    },
  };
  if (certDir && caCertPem) {
    sim.caCertPath = join(certDir, 'ca.pem');
    sim.caCertPem = caCertPem;
    sim.clientCertificatePath = join(certDir, 'client-cert.pem');
  }
  sim.clientCertificatePem = clientCert.certPem + clientCert.keyPem;
  return sim;
}

/**
 * The one JSON line `defender-alerts simulate` prints on start: everything a client needs to
 * talk to this simulator.
 */
export function describeSimulator(sim: Simulator): Record<string, string> {
  const line: Record<string, string> = {
    url: sim.url,
    authorityHost: sim.url,
    tenantId: sim.credentials.tenantId,
    clientId: sim.credentials.clientId,
    clientSecret: sim.credentials.clientSecret,
    resource: sim.credentials.resource,
  };
  if (sim.caCertPath !== undefined) line.caCertPath = sim.caCertPath;
  if (sim.clientCertificatePath !== undefined) line.clientCertificatePath = sim.clientCertificatePath;
  return line;
}

// `/{tenant}/oauth2/token` and `/{tenant}/oauth2/v2.0/token`
const TOKEN_PATH = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token\/?$/;

// `/{tenant}/oauth2/v2.0/authorize` and `/{tenant}/oauth2/v2.0/devicecode`: where a user sign-in starts.
const USER_START_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/(authorize|devicecode)\/?$/;

// Microsoft Graph's alerts_v2 collection, under the same origin as everything else.
const GRAPH_ALERTS_PATH = '/v1.0/security/alerts_v2';

function routeOf(path: string): SimulatorRoute {
  if (path === '/api/alerts' || path === GRAPH_ALERTS_PATH) return 'alerts';
  if (TOKEN_PATH.test(path) || USER_START_PATH.test(path)) return 'token';
  if (path.startsWith('/_sim/')) return 'sim';
  return 'unknown';
}

function validate(opts: SimulatorOptions): void {
  const problems: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };
  const whole = (v: number | undefined, min: number): boolean => v === undefined || (Number.isInteger(v) && v >= min);
  check(opts.port === undefined || (Number.isInteger(opts.port) && opts.port >= 0 && opts.port <= 65535), 'port must be 0..65535');
  check(whole(opts.alerts, 0), 'alerts must be a whole number >= 0');
  check(opts.rate === undefined || (Number.isFinite(opts.rate) && opts.rate >= 0), 'rate must be >= 0 alerts per minute');
  check(opts.failRate === undefined || (opts.failRate >= 0 && opts.failRate <= 1), 'failRate must be between 0 and 1');
  check(whole(opts.throttle, 0), 'throttle must be a whole number >= 0');
  check(whole(opts.mdeCallsPerMinute, 1), 'mdeCallsPerMinute must be a whole number >= 1');
  check(whole(opts.mdeCallsPerHour, 1), 'mdeCallsPerHour must be a whole number >= 1');
  check(whole(opts.mdeMinuteSeconds, 1), 'mdeMinuteSeconds must be a whole number >= 1');
  check(whole(opts.quotaUsed, 0), 'quotaUsed must be a whole number >= 0');
  check(whole(opts.sharedUpdateTime, 0), 'sharedUpdateTime must be a whole number >= 0');
  check(opts.foreignNextLinks === undefined || isOrigin(opts.foreignNextLinks), 'foreignNextLinks must be an origin such as https://eu.api.security.microsoft.com');
  check(whole(opts.latencyMs, 0), 'latencyMs must be a whole number >= 0');
  check(whole(opts.tokenLifetimeSeconds, 1), 'tokenLifetimeSeconds must be a whole number >= 1');
  check(whole(opts.deviceIntervalSeconds, 0), 'deviceIntervalSeconds must be a whole number >= 0');
  check(opts.windowHours === undefined || (Number.isFinite(opts.windowHours) && opts.windowHours > 0), 'windowHours must be > 0');
  if (problems.length > 0) throw new UsageError(`invalid simulator options: ${problems.join('; ')}`);
}

/** Whether `text` is an http(s) origin (`https://host[:port]`, a trailing slash allowed): nothing more. */
export function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text.replace(/\/+$/, '');
  } catch {
    return false;
  }
}

/** Names the certificate must cover: the listen host plus the loopback names clients use. */
function certHosts(host: string): string[] {
  const hosts = ['localhost', '127.0.0.1', '::1'];
  if (host === '0.0.0.0' || host === '::') {
    const name = hostname();
    if (/^[A-Za-z0-9.-]+$/.test(name)) hosts.push(name);
  } else {
    hosts.unshift(host);
  }
  return [...new Set(hosts)];
}

/** The SIEM API's error body for non-2xx answers (shape not documented by Microsoft; ours). */
function apiError(status: number, message: string): { error: { code: string; message: string } } {
  const code = http.STATUS_CODES[status]?.replace(/[^A-Za-z]/g, '') ?? 'Error';
  return { error: { code, message } };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Drops the connection with a TCP RST where possible, so the client sees ECONNRESET. A server
 * TLS socket wraps the raw TCP socket (`_parent`, internal), which is the one that can reset.
 */
function resetSocket(socket: Socket): void {
  type Resettable = Socket & { resetAndDestroy?: () => Socket; _parent?: Resettable | null };
  const tls = socket as Resettable;
  const target = tls._parent ?? tls;
  try {
    if (typeof target.resetAndDestroy === 'function') {
      target.resetAndDestroy();
      socket.destroy();
      return;
    }
  } catch {
    // Fall through to a plain close.
  }
  socket.destroy();
}
