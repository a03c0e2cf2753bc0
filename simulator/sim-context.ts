/**
 * What the simulator's routes share: its options and clock, the tenants (each with its alerts and
 * quota), tokens and sign-ins, the quirks, and the faults a test scripted. Built once by server.ts; each route module
 * takes it as its first argument.
 */
import type * as http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientAssertionVerifier } from './assertion.js';
import type { Fault } from './faults.js';
import { JSON_TYPE, apiError, resetSocket } from './http-util.js';
import type { ODataQuirks } from './odata-answer.js';
import type { Rng } from './prng.js';
import type { SimulatorStats } from './stats.js';
import type { TenantDirectory } from './tenants.js';
import type { TokenRegistry } from './tokens.js';
import type { UserAuthority } from './user-auth.js';

export interface SimContext {
  now: () => Date;
  useHttps: boolean;
  /** Delay before each token or alert answer, in ms. */
  latencyMs: number;
  /** Lifetime of issued tokens, in seconds. */
  lifetimeSeconds: number;
  /** Every nth alert request answered 429 (0: never). */
  throttle: number;
  /** Fraction of alert requests answered 500. */
  failRate: number;
  failRng: Rng;
  /** The default tenant and the fleet: each its own alerts, quota and trouble. */
  tenants: TenantDirectory;
  stats: SimulatorStats;
  tokens: TokenRegistry;
  userAuth: UserAuthority;
  assertions: ClientAssertionVerifier;
  quirks: ODataQuirks;
  /** Aborted when the simulator closes: ends every pending delay. */
  closing: AbortSignal;
  /** Alert requests so far (for `throttle`). */
  alertRequests: number;
}

// Where each kind of request goes.
/** `/{tenant}/oauth2/token` and `/{tenant}/oauth2/v2.0/token` */
export const TOKEN_PATH = /^\/([^/]+)\/oauth2\/(v2\.0\/)?token\/?$/;
/** `/{tenant}/oauth2/v2.0/authorize` and `/{tenant}/oauth2/v2.0/devicecode`: where a user sign-in starts. */
export const USER_START_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/(authorize|devicecode)\/?$/;
/** Microsoft Graph's alerts_v2 collection, under the same origin as everything else. */
export const GRAPH_ALERTS_PATH = '/v1.0/security/alerts_v2';

/** The origin the client reached us at (`https://127.0.0.1:49152`), from its Host header. */
export function requestOrigin(ctx: SimContext, req: http.IncomingMessage, fallbackHost = ''): string {
  return `${ctx.useHttps ? 'https' : 'http'}://${req.headers.host ?? fallbackHost}`;
}

/** Waits `ms` unless the simulator closes first; false when it closed. */
export async function delay(ctx: SimContext, ms: number): Promise<boolean> {
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal: ctx.closing });
    return true;
  } catch {
    return false;
  }
}

/** Applies the fault's and the configured delay, a reset, or a canned answer; true if answered. */
export async function applyFault(
  ctx: SimContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  fault: Fault | undefined,
  odata = false,
): Promise<boolean> {
  if (!(await delay(ctx, ctx.latencyMs + (fault?.delayMs ?? 0)))) return true;
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
}
