/**
 * Test helpers: a simulator plus an undici client that trusts its certificate (per request,
 * never a global dispatcher).
 */
import { Agent, request } from 'undici';
import { afterEach } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server.js';

export interface SimClient {
  sim: Simulator;
  dispatcher: Agent;
  /** POSTs a form to a token endpoint path (`/tenant/oauth2/token`). */
  postForm(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Reply>;
  /** POSTs JSON (to the `/_sim/*` routes). */
  postJson(path: string, body: unknown): Promise<Reply>;
  /** GETs a path, optionally with a bearer token. */
  get(path: string, token?: string, headers?: Record<string, string>): Promise<Reply>;
  /** A valid v1 token for the default resource. */
  token(): Promise<string>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = unknown>(): T;
}

export async function startSimClient(opts: SimulatorOptions = {}): Promise<SimClient> {
  const sim = await startSimulator(opts);
  const dispatcher = new Agent(sim.caCertPem ? { connect: { ca: sim.caCertPem } } : {});
  const send = async (path: string, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }): Promise<Reply> => {
    const res = await request(`${sim.url}${path}`, { ...init, dispatcher, headersTimeout: 20_000, bodyTimeout: 20_000 });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
  };
  const client: SimClient = {
    sim,
    dispatcher,
    postForm: (path, form, headers = {}) =>
      send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(form).toString(),
      }),
    postJson: (path, body) => send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    get: (path, token, headers = {}) =>
      send(path, { method: 'GET', headers: token ? { authorization: `Bearer ${token}`, ...headers } : headers }),
    token: async () => {
      const reply = await client.postForm(`/${sim.credentials.tenantId}/oauth2/token`, v1Form(sim));
      return reply.json<{ access_token: string }>().access_token;
    },
    close: async () => {
      // Idempotent: a test may close early, and its file's afterEach closes again.
      if (dispatcher.closed || dispatcher.destroyed) return;
      await dispatcher.close();
      await sim.close();
    },
  };
  return client;
}

export function v1Form(sim: Simulator, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    client_id: sim.credentials.clientId,
    client_secret: sim.credentials.clientSecret,
    resource: sim.credentials.resource,
    ...overrides,
  };
}

export function v2Form(sim: Simulator, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    grant_type: 'client_credentials',
    client_id: sim.credentials.clientId,
    client_secret: sim.credentials.clientSecret,
    scope: `${sim.credentials.resource}/.default`,
    ...overrides,
  };
}

/**
 * `sim(opts)` for a test file: starts a SimClient with `defaults` under `opts`, and closes it after
 * each test.
 */
export function simPerTest(defaults: SimulatorOptions = {}): (opts?: SimulatorOptions) => Promise<SimClient> {
  let current: SimClient | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (opts = {}) => {
    current = await startSimClient({ ...defaults, ...opts });
    return current;
  };
}
