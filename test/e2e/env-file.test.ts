/**
 * `--env-file` applied whole, end to end: a proxy and NODE_EXTRA_CA_CERTS given only in the file
 * take effect as from the environment (which still wins over the file), and a malformed line or an
 * unknown DEFENDER_ name is exit 2 with its line number, before any request and without a stack.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { baseEnv, runCli } from '../helpers/cli.js';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js';
import { failureLine } from '../helpers/hostile-server.js';

let sim: Simulator;
let dir: string;
let proxy: ConnectProxy;
beforeAll(async () => {
  sim = await startSimulator({ alerts: 10 });
  dir = await mkdtemp(join(tmpdir(), 'defender-alerts-env-file-'));
  proxy = await startConnectProxy();
});
afterAll(async () => {
  await proxy.close();
  await sim.close();
});

/** An env file for the simulator, `lines` after the sign-in settings (a private file: it holds the secret). */
async function envFile(name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  const signIn = [
    `AZURE_TENANT_ID=${sim.credentials.tenantId}`,
    `AZURE_CLIENT_ID=${sim.credentials.clientId}`,
    `AZURE_CLIENT_SECRET=${sim.credentials.clientSecret}`,
    `DEFENDER_BASE_URL=${sim.url}`,
    `AZURE_AUTHORITY_HOST=${sim.url}`,
  ];
  await writeFile(path, [...signIn, ...lines].join('\n') + '\n', { mode: 0o600 });
  return path;
}

const tunnelsToSim = (p: ConnectProxy): number => p.connects.filter((c) => c === new URL(sim.url).host).length;

describe('the proxy and CA variables of the env file', () => {
  it('HTTPS_PROXY and NODE_EXTRA_CA_CERTS in the file alone: the pull goes through the proxy, trusting the CA', async () => {
    const path = await envFile('proxied.env', [
      '# behind a TLS-inspecting proxy',
      `NODE_EXTRA_CA_CERTS=${sim.caCertPath}`,
      `HTTPS_PROXY=${proxy.url}`,
      'AZURE_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000000',
    ]);
    const before = tunnelsToSim(proxy);
    const env = baseEnv({ DEFENDER_LOG_LEVEL: 'warn' });
    expect(Object.keys(env).sort()).toEqual(['DEFENDER_LOG_LEVEL', 'HOME', 'PATH']);
    const result = await runCli(['pull', '--since', '3h', '--env-file', path], { env });
    expect(result.code, result.stderr.slice(-1000)).toBe(0);
    expect((JSON.parse(result.stdout) as unknown[]).length).toBeGreaterThan(5);
    expect(tunnelsToSim(proxy) - before).toBeGreaterThanOrEqual(2); // the token and the alerts
    expect(result.stderr).toContain(`--env-file \\"${path}\\" line 9: AZURE_SUBSCRIPTION_ID is not a defender-alerts setting; ignored`);
  });

  it('without the CA in the file: exit 6 naming NODE_EXTRA_CA_CERTS, as before', async () => {
    const path = await envFile('no-ca.env', [`HTTPS_PROXY=${proxy.url}`]);
    const result = await runCli(['pull', '--env-file', path, '--max-retries', '0'], { env: baseEnv() });
    expect(result.code).toBe(6);
    expect(failureLine(result.stderr)).toMatch(/TLS certificate of 127\.0\.0\.1:\d+ is not trusted .*set NODE_EXTRA_CA_CERTS/);
  });

  it('the process environment wins over the file: its proxy is used, and Node’s own NODE_EXTRA_CA_CERTS', async () => {
    const other = await startConnectProxy();
    try {
      const path = await envFile('overridden.env', [`https_proxy=${proxy.url}`, 'NODE_EXTRA_CA_CERTS=/nonexistent/ca.pem']);
      const before = tunnelsToSim(proxy);
      const env = baseEnv({ HTTPS_PROXY: other.url, NODE_EXTRA_CA_CERTS: sim.caCertPath });
      const result = await runCli(['pull', '--limit', '1', '--env-file', path], { env });
      expect(result.code, result.stderr.slice(-1000)).toBe(0);
      expect(tunnelsToSim(other)).toBeGreaterThanOrEqual(1);
      expect(tunnelsToSim(proxy)).toBe(before);
    } finally {
      await other.close();
    }
  });

  it('a NODE_EXTRA_CA_CERTS that is not PEM: exit 2 naming the file and the fix', async () => {
    const notPem = join(dir, 'ca.der');
    await writeFile(notPem, Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82]));
    const path = await envFile('der.env', [`NODE_EXTRA_CA_CERTS=${notPem}`]);
    const requests = sim.stats.requests.length;
    const result = await runCli(['pull', '--env-file', path], { env: baseEnv() });
    expect(result.code).toBe(2);
    expect(failureLine(result.stderr)).toBe(
      `defender-alerts: NODE_EXTRA_CA_CERTS "${notPem}" holds no PEM certificate — NODE_EXTRA_CA_CERTS in --env-file "${path}" must name a PEM file of CA certificates (-----BEGIN CERTIFICATE-----); convert a DER (binary) one with: openssl x509 -inform der -in ca.cer -out ca.pem`,
    );
    expect(sim.stats.requests.length).toBe(requests);
  });
});

describe('a malformed env file', () => {
  it('a line that is not KEY=VALUE: exit 2 with its line number, no stack, no request', async () => {
    const path = await envFile('malformed.env', ['', 'DEFENDER_LOG_LEVEL=warn', 'foo bar']);
    const requests = sim.stats.requests.length;
    const result = await runCli(['pull', '--env-file', path], { env: baseEnv() });
    expect(result.code).toBe(2);
    expect(failureLine(result.stderr)).toBe(
      `defender-alerts: --env-file "${path}" line 8: expected KEY=VALUE, a # comment or a blank line`,
    );
    expect(result.stderr).not.toMatch(/\s+at .*\.js:\d+/); // no stack
    expect(result.stdout).toBe('');
    expect(sim.stats.requests.length).toBe(requests);
  });

  it('an unknown DEFENDER_ name: exit 2 with the name meant, every problem at once', async () => {
    const path = await envFile('typo.env', ['DEFENDER_APl=graph', 'DEFENDER_LOG_LEVL=debug']);
    const result = await runCli(['pull', '--env-file', path], { env: baseEnv() });
    expect(result.code).toBe(2);
    expect(failureLine(result.stderr)).toBe(
      [
        `defender-alerts: --env-file "${path}" (2 problems):`,
        '  line 6: unknown setting DEFENDER_APl — did you mean DEFENDER_API?',
        '  line 7: unknown setting DEFENDER_LOG_LEVL — did you mean DEFENDER_LOG_LEVEL?',
      ].join('\n'),
    );
  });
});
