/**
 * End to end through a real HTTP CONNECT proxy: HTTPS_PROXY is honoured for both the token
 * and the alert requests, TLS to the simulator is verified inside the tunnel with
 * NODE_EXTRA_CA_CERTS, proxy credentials in the URL work, and a refusing proxy is exit 6.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { startConnectProxy } from '../helpers/connect-proxy.js';
import { runCli } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ alerts: 10 });
});
afterAll(async () => {
  await sim.close();
});

describe('pull through a CONNECT proxy', () => {
  it('tunnels the token and alert requests through HTTPS_PROXY', async () => {
    const proxy = await startConnectProxy();
    try {
      const result = await runCli(['pull', '--since', '3h'], { env: simEnv(sim, { HTTPS_PROXY: proxy.url }) });
      expect(result.stderr).not.toContain('defender-alerts:');
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout) as unknown[]).length).toBeGreaterThan(5);
      const target = new URL(sim.url).host;
      expect(proxy.connects.filter((c) => c === target).length).toBeGreaterThanOrEqual(1);
    } finally {
      await proxy.close();
    }
  });

  it('authenticates to a proxy with user:pass in its URL', async () => {
    const proxy = await startConnectProxy({ auth: { user: 'alice', pass: 's3cr3t' } });
    try {
      const proxyUrl = new URL(proxy.url);
      proxyUrl.username = 'alice';
      proxyUrl.password = 's3cr3t';
      const result = await runCli(['pull', '--limit', '1'], { env: simEnv(sim, { HTTPS_PROXY: proxyUrl.href }) });
      expect(result.code).toBe(0);
      expect(proxy.connects.length).toBeGreaterThanOrEqual(1);
      expect(result.stderr).not.toContain('s3cr3t');
    } finally {
      await proxy.close();
    }
  });

  it('exits 6 naming the proxy when it refuses CONNECT', async () => {
    const proxy = await startConnectProxy({ refuse: true });
    try {
      const result = await runCli(['pull'], { env: simEnv(sim, { HTTPS_PROXY: proxy.url }) });
      expect(result.code).toBe(6);
      expect(result.stderr).toMatch(/proxy/i);
    } finally {
      await proxy.close();
    }
  });

  it('bypasses the proxy for hosts in NO_PROXY', async () => {
    const proxy = await startConnectProxy();
    try {
      const result = await runCli(['pull', '--limit', '1'], { env: simEnv(sim, { HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }) });
      expect(result.code).toBe(0);
      expect(proxy.connects).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
