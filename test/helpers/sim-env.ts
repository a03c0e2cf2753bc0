/**
 * Glue between the in-process simulator and the spawned CLI: the environment a user would set,
 * and a direct read of the API to compare the CLI's output with.
 */
import { Agent, request } from 'undici';
import type { Simulator } from '../../simulator/server.js';
import { baseEnv } from './cli.js';

/** The environment of a correctly configured user pointing the CLI at `sim`. */
export function simEnv(sim: Simulator, extra: Record<string, string | undefined> = {}): Record<string, string> {
  return baseEnv({
    AZURE_TENANT_ID: sim.credentials.tenantId,
    AZURE_CLIENT_ID: sim.credentials.clientId,
    AZURE_CLIENT_SECRET: sim.credentials.clientSecret,
    DEFENDER_BASE_URL: sim.url,
    AZURE_AUTHORITY_HOST: sim.url,
    NODE_EXTRA_CA_CERTS: sim.caCertPath,
    DEFENDER_LOG_LEVEL: 'debug',
    ...extra,
  });
}

/** Fetches `/api/alerts?query` from the simulator directly (with a valid token) and returns the text. */
export async function fetchDirect(sim: Simulator, query: string): Promise<string> {
  const dispatcher = new Agent(sim.caCertPem ? { connect: { ca: sim.caCertPem } } : {});
  try {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sim.credentials.clientId,
      client_secret: sim.credentials.clientSecret,
      resource: sim.credentials.resource,
    });
    const tokenRes = await request(`${sim.url}/${sim.credentials.tenantId}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      dispatcher,
    });
    const { access_token: token } = (await tokenRes.body.json()) as { access_token: string };
    const res = await request(`${sim.url}/api/alerts?${query}`, { headers: { authorization: `Bearer ${token}` }, dispatcher });
    return await res.body.text();
  } finally {
    await dispatcher.close();
  }
}

/** Every bearer token the simulator issued, as seen in the Authorization headers it received. */
export function tokensSeen(sim: Simulator): string[] {
  return sim.stats.requests
    .map((r) => r.headers['authorization'])
    .filter((h): h is string => typeof h === 'string')
    .map((h) => h.replace(/^Bearer /, ''));
}
