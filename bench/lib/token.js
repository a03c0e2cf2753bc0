/** Gets an access token from the simulator's v1 token endpoint, as `curl -d …` would. */
import { request } from 'node:https';

/**
 * Resolves with the bearer token for `sim` (an in-process simulator from dist/simulator/server.js):
 * for the SIEM API unless `resource` names another (the MDE or Graph audience); asked at `url`
 * (default the simulator's own; e.g. a cache in front of it) trusting `ca` (default its certificate).
 * @param {import('../../simulator/server.js').Simulator} sim
 * @param {{ resource?: string, url?: string, ca?: string }} [options]
 * @returns {Promise<string>}
 */
export function getToken(sim, { resource = sim.credentials.resource, url = sim.url, ca = sim.caCertPem } = {}) {
  const { tenantId, clientId, clientSecret } = sim.credentials;
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    resource,
  }).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/${tenantId}/oauth2/token`,
      { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d) => (text += d));
        res.on('end', () => {
          const token = res.statusCode === 200 ? JSON.parse(text).access_token : undefined;
          if (typeof token === 'string') resolve(token);
          else reject(new Error(`token request failed: HTTP ${res.statusCode} ${text}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
