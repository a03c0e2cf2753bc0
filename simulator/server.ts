/**
 * The local simulator: Microsoft Entra ID's token endpoint and the three alert APIs (the SIEM
 * alert-export API, the Defender for Endpoint alerts API, Graph alerts_v2) on one loopback
 * server, over HTTPS (a fresh self-signed certificate) or HTTP. What the real services do beyond
 * their documentation (pages without next links, shared quotas, foreign next links, bulk-updated
 * alerts) can be switched on one by one; all of it is off by default. Besides the published tenant
 * it can serve a fleet of more (tenants.ts), each with its own alerts, quota and trouble.
 *
 * This file builds the shared context (sim-context.ts), records each request and routes it to
 * routes/token.ts, routes/alerts.ts or routes/control.ts.
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
 *   POST /_sim/tenants/trouble         `{"tenant", "trouble": kind | null}`: set or clear a tenant's trouble (simulator only)
 *   POST /_sim/device/approve, /_sim/device/decline   `{"user_code"}`: finish a device sign-in (simulator only)
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import { hostname, tmpdir } from 'node:os';
import { isIP, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { UsageError } from '../src/errors.js';
import { ClientAssertionVerifier, simulatorClientCertificate } from './assertion.js';
import { generateSelfSignedCert } from './cert.js';
import { DEFAULT_SIMULATOR_RESOURCE, MAX_FLEET_INDEX, SIMULATOR_CREDENTIALS, servedTenantId } from './credentials.js';
import { FaultQueue, type Fault, type FaultRoute } from './faults.js';
import { apiError, sendJson } from './http-util.js';
import type { ODataQuirks } from './odata-answer.js';
import { createRng, hashSeed } from './prng.js';
import { handleAlerts } from './routes/alerts.js';
import { handleControl } from './routes/control.js';
import { handleToken, handleUserStart } from './routes/token.js';
import { GRAPH_ALERTS_PATH, TOKEN_PATH, USER_START_PATH, type SimContext } from './sim-context.js';
import { SimulatorStats, type RecordedRequest, type SimulatorRoute } from './stats.js';
import type { AlertStore } from './store.js';
import { TenantDirectory, TENANT_TROUBLES, isTenantTrouble, type TenantTrouble } from './tenants.js';
import { TokenRegistry } from './tokens.js';
import { UserAuthority } from './user-auth.js';

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
   * Graph alerts_v2 requests admitted per sliding minute, per tenant; more are answered 429 with
   * `Retry-After` (default 150, the documented limit of Graph's security API per app and tenant).
   */
  graphCallsPerMinute?: number;
  /** Length in seconds of the "minute" of `graphCallsPerMinute` (default 60), shorter for tests. */
  graphMinuteSeconds?: number;
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
  /**
   * Fleet tenants served besides the default one (default 0), ids `00000000-0000-4000-8001-` + the
   * index 1..n in 12 digits (`fleetTenantId`), domains `tenant-<index>.simulator.onmicrosoft.com`;
   * the published app and its credentials work in each. Each has its own alerts (seeded from `seed`
   * and the index, without Microsoft's examples) and its own Defender for Endpoint and Graph quotas,
   * built on first use.
   */
  tenants?: number;
  /** Trouble per tenant (keys: tenant id or domain) from the start; `POST /_sim/tenants/trouble` changes it. */
  tenantTrouble?: Record<string, TenantTrouble>;
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
  /** Fleet tenants served besides the default one. */
  tenants: number;
  /** The default tenant's alerts. */
  store: AlertStore;
  /** The alerts of the tenant `tenant` (id or domain) names, built if not yet; undefined if not served. */
  storeOf(tenant: string): AlertStore | undefined;
  /** Sets (null: clears) a tenant's trouble; false if the simulator serves no such tenant. */
  setTenantTrouble(tenant: string, trouble: TenantTrouble | null): boolean;
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

/** Starts a simulator; resolves once it listens. Throws UsageError for invalid options or a busy port. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  validate(opts);
  const now = opts.now ?? ((): Date => new Date());
  const host = opts.host ?? '127.0.0.1';
  const useHttps = opts.https ?? true;
  const seed = opts.seed ?? 1;
  const lifetimeSeconds = opts.tokenLifetimeSeconds ?? 3599;
  const latencyMs = opts.latencyMs ?? 0;
  const tenants = new TenantDirectory(
    {
      startedAt: now(),
      seed,
      alerts: opts.alerts ?? 50,
      windowHours: opts.windowHours ?? 3,
      rate: opts.rate ?? 0,
      sharedUpdateTime: opts.sharedUpdateTime ?? 0,
      mdeCallsPerMinute: opts.mdeCallsPerMinute ?? 100,
      mdeCallsPerHour: opts.mdeCallsPerHour ?? 1500,
      mdeMinuteSeconds: opts.mdeMinuteSeconds ?? 60,
      graphCallsPerMinute: opts.graphCallsPerMinute ?? 150,
      graphMinuteSeconds: opts.graphMinuteSeconds ?? 60,
      quotaUsed: opts.quotaUsed ?? 0,
    },
    opts.tenants ?? 0,
    opts.includeExamples ?? true,
  );
  for (const [tenant, trouble] of Object.entries(opts.tenantTrouble ?? {})) tenants.setTrouble(tenant, trouble);
  const stats = new SimulatorStats();
  const faults = new FaultQueue();
  const tokens = new TokenRegistry();
  const userAuth = new UserAuthority({
    // User sign-in is the default tenant's alone.
    issue: (resource, seconds, at) => tokens.issue(resource, seconds, at, SIMULATOR_CREDENTIALS.tenantId),
    lifetimeSeconds,
    ...(opts.deviceIntervalSeconds === undefined ? {} : { deviceIntervalSeconds: opts.deviceIntervalSeconds }),
  });
  const clientCert = await simulatorClientCertificate();
  const assertions = new ClientAssertionVerifier(clientCert.certPem);
  const failRng = createRng(hashSeed(seed, 0xfa11));
  const closing = new AbortController();
  // Every answer's delay listens to it: many clients at once (a fleet, parallel windows) is not a leak.
  setMaxListeners(10_000, closing.signal);
  const quirks: ODataQuirks = {
    mdeNoNextLinkWithTop: opts.mdeNoNextLinkWithTop ?? false,
    mdeUnordered: opts.mdeUnordered ?? false,
    ...(opts.foreignNextLinks === undefined ? {} : { nextLinkOrigin: new URL(opts.foreignNextLinks).origin }),
  };

  const ctx: SimContext = {
    now,
    useHttps,
    latencyMs,
    lifetimeSeconds,
    throttle: opts.throttle ?? 0,
    failRate: opts.failRate ?? 0,
    failRng,
    tenants,
    stats,
    tokens,
    userAuth,
    assertions,
    quirks,
    closing: closing.signal,
    alertRequests: 0,
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
    const tenant =
      route === 'token' ? tenantOfPath(tenants, url.pathname) : route === 'alerts' ? tokens.tenantOf(req.headers.authorization) : undefined;
    const entry = stats.record({
      route,
      method: req.method ?? '',
      path: url.pathname,
      query,
      headers,
      receivedAt: now().toISOString(),
      ...(tenant === undefined ? {} : { tenant }),
    });
    const fault = route === 'alerts' || route === 'token' ? faults.take(route satisfies FaultRoute) : undefined;
    if (fault) entry.fault = fault;
    records.set(req, entry);
    return entry;
  };

  /** The routes, first match wins: each gets the shared context and the request's scripted fault. */
  const routes: {
    match: (path: string) => RegExpExecArray | boolean | null;
    handle: (
      req: http.IncomingMessage,
      res: http.ServerResponse,
      url: URL,
      m: RegExpExecArray | boolean,
      fault: Fault | undefined,
    ) => Promise<void>;
  }[] = [
    {
      match: (p) => USER_START_PATH.exec(p),
      handle: (req, res, url, m, fault) =>
        handleUserStart(ctx, req, res, fault, url, decodeURIComponent((m as RegExpExecArray)[1] ?? ''), (m as RegExpExecArray)[2] ?? ''),
    },
    { match: (p) => routeOf(p) === 'alerts', handle: (req, res, url, _m, fault) => handleAlerts(ctx, req, res, fault, url) },
    {
      match: (p) => TOKEN_PATH.exec(p),
      handle: (req, res, _url, m, fault) =>
        handleToken(ctx, req, res, fault, decodeURIComponent((m as RegExpExecArray)[1] ?? ''), (m as RegExpExecArray)[2] ? 'v2' : 'v1'),
    },
    { match: (p) => routeOf(p) === 'sim', handle: (req, res, url) => handleControl(ctx, faults, req, res, url.pathname) },
  ];

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const entry = record(req);
    res.on('finish', () => (entry.status = res.statusCode));
    let work: Promise<void> | undefined;
    for (const route of routes) {
      const m = route.match(url.pathname);
      if (m) {
        work = route.handle(req, res, url, m, entry.fault as Fault | undefined);
        break;
      }
    }
    (work ?? Promise.resolve(sendJson(res, 404, apiError(404, `No route ${req.method ?? ''} ${url.pathname}.`)))).catch((e: unknown) => {
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
    tenants: tenants.fleet,
    store: tenants.default.store,
    storeOf: (tenant) => tenants.get(tenant)?.store,
    setTenantTrouble: (tenant, trouble) => tenants.setTrouble(tenant, trouble) !== undefined,
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
export function describeSimulator(sim: Simulator): Record<string, string | number> {
  const line: Record<string, string | number> = {
    url: sim.url,
    authorityHost: sim.url,
    tenantId: sim.credentials.tenantId,
    clientId: sim.credentials.clientId,
    clientSecret: sim.credentials.clientSecret,
    resource: sim.credentials.resource,
  };
  if (sim.caCertPath !== undefined) line.caCertPath = sim.caCertPath;
  if (sim.clientCertificatePath !== undefined) line.clientCertificatePath = sim.clientCertificatePath;
  if (sim.tenants > 0) line.tenants = sim.tenants;
  return line;
}

function routeOf(path: string): SimulatorRoute {
  if (path === '/api/alerts' || path === GRAPH_ALERTS_PATH) return 'alerts';
  if (TOKEN_PATH.test(path) || USER_START_PATH.test(path)) return 'token';
  if (path.startsWith('/_sim/')) return 'sim';
  return 'unknown';
}

/** The canonical id of the served tenant a token or sign-in path names, if any. */
function tenantOfPath(tenants: TenantDirectory, path: string): string | undefined {
  const name = (TOKEN_PATH.exec(path) ?? USER_START_PATH.exec(path))?.[1];
  if (name === undefined) return undefined;
  try {
    return tenants.idOf(decodeURIComponent(name));
  } catch {
    // A malformed escape names no tenant; the route answers it.
    return undefined;
  }
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
  check(whole(opts.graphCallsPerMinute, 1), 'graphCallsPerMinute must be a whole number >= 1');
  check(whole(opts.graphMinuteSeconds, 1), 'graphMinuteSeconds must be a whole number >= 1');
  check(whole(opts.quotaUsed, 0), 'quotaUsed must be a whole number >= 0');
  check(whole(opts.sharedUpdateTime, 0), 'sharedUpdateTime must be a whole number >= 0');
  check(
    opts.foreignNextLinks === undefined || isOrigin(opts.foreignNextLinks),
    'foreignNextLinks must be an origin such as https://eu.api.security.microsoft.com',
  );
  check(whole(opts.latencyMs, 0), 'latencyMs must be a whole number >= 0');
  check(whole(opts.tokenLifetimeSeconds, 1), 'tokenLifetimeSeconds must be a whole number >= 1');
  check(whole(opts.deviceIntervalSeconds, 0), 'deviceIntervalSeconds must be a whole number >= 0');
  check(opts.windowHours === undefined || (Number.isFinite(opts.windowHours) && opts.windowHours > 0), 'windowHours must be > 0');
  check(whole(opts.tenants, 0) && (opts.tenants ?? 0) <= MAX_FLEET_INDEX, `tenants must be a whole number from 0 to ${MAX_FLEET_INDEX}`);
  for (const [tenant, trouble] of Object.entries(opts.tenantTrouble ?? {})) {
    check(isTenantTrouble(trouble), `tenantTrouble of ${tenant} must be one of ${TENANT_TROUBLES.join(', ')}`);
    check(servedTenantId(tenant, opts.tenants ?? 0) !== undefined, `tenantTrouble names ${tenant}, a tenant the simulator does not serve`);
  }
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
