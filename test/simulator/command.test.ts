import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { runSimulate } from '../../simulator/command.js';
import { describeSimulator, startSimulator } from '../../simulator/server.js';

/** Starts `runSimulate` and resolves with its first stdout line, parsed. */
async function start(opts: Parameters<typeof runSimulate>[0]): Promise<{
  line: Record<string, string>;
  stop: () => Promise<void>;
}> {
  const stdout = new PassThrough();
  const controller = new AbortController();
  let text = '';
  const firstLine = new Promise<string>((resolve) =>
    stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text);
    }),
  );
  const running = runSimulate(opts, { stdout, signal: controller.signal });
  const line = await Promise.race([firstLine, running.then(() => '')]);
  return {
    line: JSON.parse(line) as Record<string, string>,
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}

describe('runSimulate', () => {
  it('prints one JSON line with everything a client needs, serves, and stops on abort', async () => {
    const { line, stop } = await start({ alerts: 5 });
    expect(Object.keys(line)).toEqual([
      'url',
      'authorityHost',
      'tenantId',
      'clientId',
      'clientSecret',
      'resource',
      'caCertPath',
      'clientCertificatePath',
    ]);
    expect(line).toMatchObject({
      url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
      tenantId: '00000000-0000-4000-8000-000000000001',
      clientId: '00000000-0000-4000-8000-0000000000c1',
      clientSecret: 'sim-secret-not-a-real-secret',
      resource: 'https://WDATPAlertExport.Seville.onmicrosoft.com',
    });
    expect(line.authorityHost).toBe(line.url);
    expect(existsSync(line.caCertPath ?? '')).toBe(true);

    // A separate Node process trusts the certificate through NODE_EXTRA_CA_CERTS alone.
    const script = `fetch(process.argv[1] + '/api/alerts').then(r => console.log(r.status), e => { console.error(e.cause ?? e); process.exit(1); })`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, line.url ?? ''], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: line.caCertPath },
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('401');

    await stop();
    expect(existsSync(line.caCertPath ?? '')).toBe(false);
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      await expect(request(`${line.url}/api/alerts`, { dispatcher: insecure })).rejects.toThrow();
    } finally {
      await insecure.destroy();
    }
  });

  it('serves plain HTTP with --http, and then prints no caCertPath', async () => {
    const { line, stop } = await start({ http: true, alerts: 1 });
    try {
      expect(line.url).toMatch(/^http:\/\//);
      expect(line.caCertPath).toBeUndefined();
      const res = await request(`${line.url}/_sim/stats`);
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    } finally {
      await stop();
    }
  });

  it('reports invalid options and a busy port as UsageError', async () => {
    const signal = new AbortController().signal;
    await expect(runSimulate({ failRate: 2 }, { stdout: new PassThrough(), signal })).rejects.toBeInstanceOf(UsageError);
    const busy = await startSimulator({ https: false });
    try {
      const port = Number(new URL(busy.url).port);
      await expect(runSimulate({ port, http: true }, { stdout: new PassThrough(), signal })).rejects.toThrow(/already in use/);
    } finally {
      await busy.close();
    }
  });

  it('keeps ca.pem in a caller-chosen certDir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-certdir-test-'));
    try {
      const sim = await startSimulator({ certDir: join(dir, 'nested') });
      await sim.close();
      expect(describeSimulator(sim).caCertPath).toBe(join(dir, 'nested', 'ca.pem'));
      expect(existsSync(join(dir, 'nested', 'ca.pem'))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
