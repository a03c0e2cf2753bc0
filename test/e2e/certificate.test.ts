/**
 * Certificate sign-in end to end: the CLI signs a client assertion with the PEM file the
 * simulator published, on the v1 endpoint (siem) and the v2 endpoint; a certificate the app does
 * not know is exit 3 with Entra's reason; the key never appears in any output.
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClientCertificate } from '../../simulator/cert.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { runCli } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ alerts: 10 });
  dir = await mkdtemp(join(tmpdir(), 'defender-cert-'));
});
afterAll(async () => {
  await sim.close();
});

const certEnv = (path: string) => simEnv(sim, { AZURE_CLIENT_SECRET: undefined, AZURE_CLIENT_CERTIFICATE_PATH: path });

describe('certificate credential', () => {
  it('signs in with AZURE_CLIENT_CERTIFICATE_PATH (v1 endpoint, SIEM API) and never prints the key', async () => {
    const result = await runCli(['pull', '--since', '3h', '--log-level', 'trace'], { env: certEnv(sim.clientCertificatePath!) });
    expect(result.stderr).not.toContain('defender-alerts:');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as unknown[]).length).toBeGreaterThan(5);
    expect(result.stderr).toContain('signing in with a certificate');
    const pem = await readFile(sim.clientCertificatePath!, 'utf8');
    const keyBody = /-----BEGIN [A-Z ]*PRIVATE KEY-----\n([A-Za-z0-9+/=]{40})/.exec(pem)?.[1];
    expect(keyBody).toBeDefined();
    expect(result.stdout + result.stderr).not.toContain(keyBody!);
    expect(result.stdout + result.stderr).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/); // no assertion (JWT) printed
  });

  it('signs in with --certificate on the v2 endpoint too (token --api graph)', async () => {
    const result = await runCli(['token', '--api', 'graph', '--certificate', sim.clientCertificatePath!], {
      env: simEnv(sim, { AZURE_CLIENT_SECRET: undefined }),
    });
    expect(result.stderr).not.toContain('defender-alerts:');
    expect(result.code).toBe(0);
    expect(sim.stats.of('token').at(-1)?.path).toBe(`/${sim.credentials.tenantId}/oauth2/v2.0/token`);
  });

  it('a certificate the app does not know: exit 3 with AADSTS700027 and what to do', async () => {
    const other = generateClientCertificate();
    const path = join(dir, 'other.pem');
    await writeFile(path, other.certPem + other.keyPem, { mode: 0o600 });
    const result = await runCli(['pull'], { env: certEnv(path) });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('AADSTS700027');
    expect(result.stderr).toContain('Certificates & secrets');
  });

  it('a file that is not a certificate: exit 2 naming it; a readable key file: a warning', async () => {
    const bad = join(dir, 'bad.pem');
    await writeFile(bad, 'not a pem');
    const result = await runCli(['pull'], { env: certEnv(bad) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(bad);

    const open = join(dir, 'open.pem');
    await writeFile(open, await readFile(sim.clientCertificatePath!, 'utf8'));
    await chmod(open, 0o644);
    const warned = await runCli(['pull', '--limit', '1'], { env: certEnv(open) });
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/readable by other/);
  });
});
