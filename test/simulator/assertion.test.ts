import { X509Certificate, generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCertificateFile } from '../../src/auth/certificate-file.js';
import { CLIENT_ASSERTION_TYPE, createClientAssertion, loadCertificate, type LoadedCertificate } from '../../src/auth/client-assertion.js';
import { generateClientCertificate } from '../../simulator/cert.js';
import { describeSimulator } from '../../simulator/server.js';
import { startSimClient, type SimClient } from '../helpers/sim-client.js';

const TENANT = '00000000-0000-4000-8000-000000000001';
const V1 = `/${TENANT}/oauth2/token`;
const V2 = `/${TENANT}/oauth2/v2.0/token`;

// Another app's credential: a key and certificate the simulator never published.
const stranger = (() => {
  const { certPem, keyPem } = generateClientCertificate({ keyPair: generateKeyPairSync('rsa', { modulusLength: 2048 }) });
  return loadCertificate(keyPem + certPem);
})();

describe("client assertions at the simulator's token endpoint", () => {
  let c: SimClient;
  let cert: LoadedCertificate;
  beforeAll(async () => {
    c = await startSimClient();
    cert = loadCertificate(c.sim.clientCertificatePem ?? '');
  });
  afterAll(async () => c.close());

  const url = (path: string): string => `${c.sim.url}${path}`;
  const form = (path: string, assertion: string, extra: Record<string, string> = {}): Record<string, string> => ({
    grant_type: 'client_credentials',
    client_id: c.sim.credentials.clientId,
    ...(path.includes('v2.0') ? { scope: `${c.sim.credentials.resource}/.default` } : { resource: c.sim.credentials.resource }),
    client_assertion_type: CLIENT_ASSERTION_TYPE,
    client_assertion: assertion,
    ...extra,
  });
  const sign = (over: Partial<Parameters<typeof createClientAssertion>[0]> & { path: string }): string =>
    createClientAssertion({ clientId: c.sim.credentials.clientId, tokenUrl: url(over.path), cert, ...over });

  /** Posts the assertion and checks Entra's error shape; returns error_description. */
  async function rejected(
    path: string,
    assertion: string,
    status: number,
    error: string,
    code: number,
    extra: Record<string, string> = {},
  ): Promise<string> {
    const reply = await c.postForm(path, form(path, assertion, extra));
    const body = reply.json<Record<string, unknown>>();
    expect({ status: reply.status, error: body.error, error_codes: body.error_codes }).toEqual({ status, error, error_codes: [code] });
    expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
    return String(body.error_description);
  }

  it('publishes client-cert.pem beside ca.pem, owner-only, and names it in the start line', async () => {
    const path = c.sim.clientCertificatePath ?? '';
    expect(path).toBe(join(dirname(c.sim.caCertPath ?? ''), 'client-cert.pem'));
    expect(describeSimulator(c.sim).clientCertificatePath).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const fromFile = await readCertificateFile(path);
    expect(fromFile.warning).toBeUndefined();
    expect(fromFile.x5tS256).toBe(cert.x5tS256);

    const x509 = new X509Certificate(cert.certificatePem);
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(x509.ca).toBe(false);
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth
    expect(x509.verify(x509.publicKey)).toBe(true);
  });

  it.each([
    ['v1', 'PS256', V1],
    ['v1', 'RS256', V1],
    ['v2', 'PS256', V2],
    ['v2', 'RS256', V2],
  ] as const)('%s accepts a good %s assertion, and the token opens the alert API', async (_v, alg, path) => {
    const reply = await c.postForm(path, form(path, sign({ path, alg })));
    expect(reply.status).toBe(200);
    const token = reply.json<{ access_token: string }>().access_token;
    expect((await c.get('/api/alerts?limit=1', token)).status).toBe(200);
  });

  it('accepts the tenant domain, with aud = that URL', async () => {
    const path = '/simulator.onmicrosoft.com/oauth2/v2.0/token';
    expect((await c.postForm(path, form(path, sign({ path })))).status).toBe(200);
  });

  it('a certificate it does not know → 401 AADSTS700027, the key was not found', async () => {
    const assertion = createClientAssertion({ clientId: c.sim.credentials.clientId, tokenUrl: url(V2), cert: stranger });
    const text = await rejected(V2, assertion, 401, 'invalid_client', 700027);
    expect(text).toContain('Client assertion contains an invalid signature. [Reason - The key was not found.');
    expect(text).toContain(
      `Thumbprint of key used by client: '${Buffer.from(stranger.x5tS256, 'base64url').toString('hex').toUpperCase()}'`,
    );
  });

  it('the right thumbprint signed by another key → 401 AADSTS700027, the signature did not match', async () => {
    const forged: LoadedCertificate = { ...cert, privateKey: stranger.privateKey };
    for (const alg of ['PS256', 'RS256'] as const) {
      const text = await rejected(V1, sign({ path: V1, cert: forged, alg }), 401, 'invalid_client', 700027);
      expect(text).toContain('[Reason - The provided signature value did not match the expected signature value.');
    }
  });

  it('a tampered payload → AADSTS700027', async () => {
    const [h, , s] = sign({ path: V1 }).split('.');
    const claims = Buffer.from(JSON.stringify({ aud: url(V1), iss: 'x', sub: 'x', exp: 9e9, jti: 'j' })).toString('base64url');
    await rejected(V1, `${h}.${claims}.${s}`, 401, 'invalid_client', 700027);
  });

  it('aud of another endpoint → 401 AADSTS700023 (v1 assertion sent to v2, and the reverse)', async () => {
    const text = await rejected(V2, sign({ path: V1 }), 401, 'invalid_client', 700023);
    expect(text).toContain('Client assertion audience claim does not match Realm issuer.');
    await rejected(V1, sign({ path: V2 }), 401, 'invalid_client', 700023);
    await rejected(
      V1,
      createClientAssertion({ clientId: c.sim.credentials.clientId, tokenUrl: 'https://login.microsoftonline.com/x/oauth2/token', cert }),
      401,
      'invalid_client',
      700023,
    );
  });

  it('iss/sub of another app → 401 AADSTS700021', async () => {
    const assertion = createClientAssertion({ clientId: '11111111-1111-4111-8111-111111111111', tokenUrl: url(V1), cert });
    const text = await rejected(V1, assertion, 401, 'invalid_client', 700021);
    expect(text).toContain("Client assertion application identifier doesn't match 'client_id' parameter.");
  });

  it('sub different from iss → 401 AADSTS50048', async () => {
    // Hand-made, as createClientAssertion always sets sub = iss: RS256 = PKCS#1 v1.5 over SHA-256.
    const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const t = Math.floor(Date.now() / 1000);
    const input = `${part({ alg: 'RS256', typ: 'JWT', x5t: cert.x5t })}.${part({
      aud: url(V1),
      iss: c.sim.credentials.clientId,
      sub: 'someone-else',
      jti: 'sub-test',
      nbf: t,
      exp: t + 600,
    })}`;
    const assertion = `${input}.${rsaSign('sha256', Buffer.from(input), cert.privateKey).toString('base64url')}`;
    expect(await rejected(V1, assertion, 401, 'invalid_client', 50048)).toContain(
      'Subject mismatches Issuer claim in the client assertion.',
    );
  });

  it('expired (beyond the 5-minute skew) → 401 AADSTS700024 with the times', async () => {
    const now = new Date(Date.now() - 16 * 60_000); // exp = 6 minutes ago
    const text = await rejected(V2, sign({ path: V2, now }), 401, 'invalid_client', 700024);
    expect(text).toMatch(
      /Client assertion is not within its valid time range\. Current time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z, assertion valid from .+, expiry time of assertion .+\./,
    );
  });

  it('within the skew it is still accepted: 4 minutes past exp, or nbf 4 minutes ahead', async () => {
    expect((await c.postForm(V2, form(V2, sign({ path: V2, now: new Date(Date.now() - 14 * 60_000) })))).status).toBe(200);
    expect((await c.postForm(V2, form(V2, sign({ path: V2, now: new Date(Date.now() + 4 * 60_000) })))).status).toBe(200);
  });

  it('not yet valid (nbf 10 minutes ahead) → AADSTS700024', async () => {
    await rejected(V1, sign({ path: V1, now: new Date(Date.now() + 10 * 60_000) }), 401, 'invalid_client', 700024);
  });

  it('a replayed jti → AADSTS50027; a fresh assertion then works', async () => {
    const assertion = sign({ path: V1 });
    expect((await c.postForm(V1, form(V1, assertion))).status).toBe(200);
    const text = await rejected(V1, assertion, 400, 'invalid_request', 50027);
    expect(text).toContain('was already used');
    expect((await c.postForm(V1, form(V1, sign({ path: V1 })))).status).toBe(200);
  });

  it('a rejected assertion does not spend its jti', async () => {
    await rejected(V2, sign({ path: V1, jti: 'spent-by-nothing' }), 401, 'invalid_client', 700023);
    expect((await c.postForm(V2, form(V2, sign({ path: V2, jti: 'spent-by-nothing' })))).status).toBe(200);
  });

  it('malformed JWTs and headers → 400 AADSTS50027', async () => {
    await rejected(V1, 'not-a-jwt', 400, 'invalid_request', 50027);
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${sign({ path: V1 }).split('.')[1] ?? ''}.x`;
    expect(await rejected(V1, none, 400, 'invalid_request', 50027)).toContain("'alg' header must be PS256 or RS256");
  });

  it('client_assertion_type missing → AADSTS900144; another type → AADSTS7000218', async () => {
    const { client_assertion_type: _drop, ...noType } = form(V1, sign({ path: V1 }));
    const reply = await c.postForm(V1, noType);
    expect(reply.status).toBe(400);
    expect(reply.json<{ error_codes: number[] }>().error_codes).toEqual([900144]);
    await rejected(V1, sign({ path: V1 }), 401, 'invalid_client', 7000218, {
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
    });
  });
});

describe('client assertions over plain HTTP', () => {
  it('checks aud against the http:// URL, and publishes no file', async () => {
    const c = await startSimClient({ https: false });
    try {
      expect(c.sim.clientCertificatePath).toBeUndefined();
      const cert = loadCertificate(c.sim.clientCertificatePem ?? '');
      const assertion = createClientAssertion({ clientId: c.sim.credentials.clientId, tokenUrl: `${c.sim.url}${V1}`, cert });
      expect(assertion.length).toBeGreaterThan(0);
      const reply = await c.postForm(V1, {
        grant_type: 'client_credentials',
        client_id: c.sim.credentials.clientId,
        resource: c.sim.credentials.resource,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: assertion,
      });
      expect(reply.status).toBe(200);
    } finally {
      await c.close();
    }
  });
});
