/**
 * TLS and proxy faults: untrusted, expired and wrong-host certificates, and forward
 * proxies that refuse CONNECT or want credentials. Each is exit 6 with a message naming the fix;
 * nothing is retried that cannot change, and no secret (nor the proxy password) is printed.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSelfSignedCert } from '../../simulator/cert.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startConnectProxy } from '../helpers/connect-proxy.js';
import { failureLine, HOSTILE_CREDENTIALS, hostileEnv, respond, startHostileServer, withTokens } from '../helpers/hostile-server.js';
import { simEnv } from '../helpers/sim-env.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'defender-alerts-tls-'));
});

/** Runs pull against a TLS hostile server with `cert`, trusting `trust` (PEM) or nothing extra. */
async function pullOverTls(
  cert: { certPem: string; keyPem: string },
  trust: string | undefined,
): Promise<{ result: CliResult; requests: number }> {
  const server = await startHostileServer(
    withTokens((_req, socket) => respond(socket, 200, '[]')),
    { tls: cert },
  );
  try {
    let extra: Record<string, string> = {};
    if (trust !== undefined) {
      const caPath = join(dir, `ca-${server.port}.pem`);
      await writeFile(caPath, trust);
      extra = { NODE_EXTRA_CA_CERTS: caPath };
    }
    const result = await runCli(['pull', '--max-retries', '2'], { env: hostileEnv(server, extra) });
    return { result, requests: server.requests.length };
  } finally {
    await server.close();
  }
}

function expectFailure(result: CliResult, code: number, message: RegExp): void {
  expect(result.stderr).not.toContain('internal error');
  expect(result.code, result.stderr.slice(-1000)).toBe(code);
  expect(failureLine(result.stderr)).toMatch(message);
  expect(result.stdout).toBe('');
  expect(result.stderr).not.toContain(HOSTILE_CREDENTIALS.clientSecret);
}

describe('TLS', () => {
  it('an untrusted certificate: exit 6 naming NODE_EXTRA_CA_CERTS, not retried, nothing sent', async () => {
    const { result, requests } = await pullOverTls(generateSelfSignedCert({ hosts: ['127.0.0.1'] }), undefined);
    expectFailure(result, 6, /TLS certificate of 127\.0\.0\.1:\d+ is not trusted .*NODE_EXTRA_CA_CERTS/);
    expect(requests).toBe(0); // the secret never left over an unverified connection
    expect(result.stderr).not.toContain('attempt 2');
  });

  it('an expired certificate (from a trusted CA): exit 6, check the clock', async () => {
    const cert = generateSelfSignedCert({ hosts: ['127.0.0.1'], days: -1 });
    const { result, requests } = await pullOverTls(cert, cert.certPem);
    expectFailure(result, 6, /outside its validity period \(CERT_HAS_EXPIRED\); check the system clock/);
    expect(requests).toBe(0);
  });

  it('a certificate for another host name: exit 6, names another host', async () => {
    const cert = generateSelfSignedCert({ hosts: ['alerts.example.org'] });
    const { result, requests } = await pullOverTls(cert, cert.certPem);
    expectFailure(result, 6, /names another host \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    expect(requests).toBe(0);
  });
});

describe('proxies', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ alerts: 3 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('a proxy that refuses CONNECT (403): exit 6 naming the host to allow, not retried', async () => {
    const proxy = await startConnectProxy({ refuse: true });
    try {
      const result = await runCli(['pull'], { env: simEnv(sim, { HTTPS_PROXY: proxy.url }) });
      expectFailure(result, 6, /the proxy refused to connect to 127\.0\.0\.1:\d+ \(HTTP 403 Forbidden\); ask the proxy's administrators/);
      expect(proxy.connects).toHaveLength(1);
      expect(sim.stats.requests).toHaveLength(0);
    } finally {
      await proxy.close();
    }
  });

  it.each([
    ['no credentials', ''],
    ['wrong credentials', 'alice:wrong-pass-9d1e@'],
  ])('a proxy that needs authentication, given %s: exit 6 naming HTTPS_PROXY, password never printed', async (_what, userinfo) => {
    const proxy = await startConnectProxy({ auth: { user: 'alice', pass: 'right-pass-41c7' } });
    try {
      const url = proxy.url.replace('http://', `http://${userinfo}`);
      const result = await runCli(['pull', '--log-level', 'trace'], { env: simEnv(sim, { HTTPS_PROXY: url }) });
      expectFailure(result, 6, /HTTP 407 Proxy Authentication Required\); put user:password in HTTPS_PROXY/);
      expect(result.stderr).not.toContain('wrong-pass-9d1e');
    } finally {
      await proxy.close();
    }
  });

  it('a proxy with the right credentials in the URL: exit 0, the password is never printed even at trace', async () => {
    const proxy = await startConnectProxy({ auth: { user: 'alice', pass: 'right-pass-41c7' } });
    try {
      const url = proxy.url.replace('http://', 'http://alice:right-pass-41c7@');
      const result = await runCli(['pull', '--since', '3h', '--log-level', 'trace'], { env: simEnv(sim, { HTTPS_PROXY: url }) });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toHaveLength(3);
      expect(result.stderr).not.toContain('right-pass-41c7');
      expect(result.stderr).not.toContain(Buffer.from('alice:right-pass-41c7').toString('base64'));
    } finally {
      await proxy.close();
    }
  });
});
