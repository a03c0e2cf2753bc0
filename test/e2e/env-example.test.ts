/**
 * The shipped `.env.example`, as a newcomer uses it: copied, the three credentials filled in, and
 * nothing else changed. It must pull Graph alerts end to end (here from the simulator, whose
 * address and CA are given on the command line and in the environment, as a proxy's would be).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { baseEnv, runCli } from '../helpers/cli.js';

const example = readFileSync(fileURLToPath(new URL('../../.env.example', import.meta.url)), 'utf8');

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ alerts: 10 });
  dir = await mkdtemp(join(tmpdir(), 'defender-alerts-env-example-'));
});
afterAll(() => sim.close());

/** `.env.example` with only the credential lines given values. */
function filledIn(): string {
  const values: Record<string, string> = {
    AZURE_TENANT_ID: sim.credentials.tenantId,
    AZURE_CLIENT_ID: sim.credentials.clientId,
    AZURE_CLIENT_SECRET: sim.credentials.clientSecret,
  };
  let changed = 0;
  const text = example.replace(/^(AZURE_TENANT_ID|AZURE_CLIENT_ID|AZURE_CLIENT_SECRET)=.*$/gm, (_line, name: string) => {
    changed++;
    return `${name}=${values[name]}`;
  });
  expect(changed).toBe(3);
  return text;
}

describe('.env.example', () => {
  it('with the three credentials filled in, pulls Graph alerts', async () => {
    const path = join(dir, 'defender.env');
    await writeFile(path, filledIn(), { mode: 0o600 });
    const result = await runCli(
      ['pull', '--env-file', path, '--base-url', sim.url, '--authority-host', sim.url, '--since', '3h', '--format', 'ndjson'],
      {
        env: baseEnv({ NODE_EXTRA_CA_CERTS: sim.caCertPath, DEFENDER_LOG_LEVEL: 'warn' }),
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const alerts = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(alerts.length).toBeGreaterThan(5);
    // Graph's alerts_v2 names, not the SIEM API's.
    for (const alert of alerts) expect(Object.keys(alert)).toEqual(expect.arrayContaining(['id', 'createdDateTime', 'severity']));
    expect(result.stderr).toBe('');
  });
});
