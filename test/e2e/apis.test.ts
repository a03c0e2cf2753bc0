/**
 * The successor APIs end to end: each API × (secret, certificate) × (json, ndjson) ×
 * (state, no state) against the simulator, the SIEM layout for mde/graph, Graph's partial answers,
 * and a token for the wrong API.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SIEM_FIELDS } from '../../src/alert/to-siem.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({ alerts: 60, seed: 21, windowHours: 2 });
  dir = await mkdtemp(join(tmpdir(), 'defender-apis-'));
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.faults.clear();
});

/** Distinct AlertIds the simulator holds (mde and graph merge detections into one alert each). */
function expectedIds(): string[] {
  const { alerts } = sim.store.query({ sinceTimeUtc: '2000-01-01T00:00:00Z' }, new Date());
  return [...new Set([...alerts].map((a) => String(a.AlertId)))].sort();
}

function records(result: CliResult, format: string): Array<Record<string, unknown>> {
  if (format === 'json') return JSON.parse(result.stdout) as Array<Record<string, unknown>>;
  return result.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const credentials = {
  secret: () => simEnv(sim),
  certificate: () => simEnv(sim, { AZURE_CLIENT_SECRET: undefined, AZURE_CLIENT_CERTIFICATE_PATH: sim.clientCertificatePath }),
};

describe.each(['siem', 'mde', 'graph'] as const)('--api %s', (api) => {
  describe.each(['secret', 'certificate'] as const)('with a %s', (credential) => {
    it.each(['json', 'ndjson'])('delivers every alert as %s, with and without --state', async (format) => {
      const args = ['pull', '--api', api, '--since', '3h', '--format', format, ...(api === 'siem' ? [] : ['--page-size', '20'])];
      const plain = await runCli(args, { env: credentials[credential]() });
      expect(plain.stderr).not.toContain('defender-alerts:');
      expect(plain.code).toBe(0);
      const ids = records(plain, format).map((a) => String(a['id'] ?? a['AlertId']));
      expect([...new Set(ids)].sort()).toEqual(expectedIds());
      if (api !== 'siem') expect(new Set(ids).size).toBe(ids.length);

      const state = join(dir, `${api}-${credential}-${format}.json`);
      const first = await runCli([...args, '--state', state], { env: credentials[credential]() });
      expect(first.code).toBe(0);
      expect(records(first, format).length).toBe(records(plain, format).length);
      const again = await runCli([...args, '--state', state], { env: credentials[credential]() });
      expect(again.code).toBe(0);
      expect(records(again, format)).toEqual([]);
    });
  });
});

describe('--limit', () => {
  it("graph: the most recent n alerts, across pages, as the SIEM API's limit means", async () => {
    const all = await runCli(['pull', '--api', 'graph', '--since', '3h', '--format', 'ndjson'], { env: simEnv(sim) });
    const newest = records(all, 'ndjson')
      .map((a) => ({ id: String(a['id']), t: String(a['lastUpdateDateTime']) }))
      .sort((a, b) => (a.t < b.t ? 1 : a.t > b.t ? -1 : 0))
      .slice(0, 7)
      .map((a) => a.id);
    const limited = await runCli(['pull', '--api', 'graph', '--since', '3h', '--limit', '7', '--page-size', '3', '--format', 'ndjson'], {
      env: simEnv(sim),
    });
    expect(limited.code).toBe(0);
    expect(
      records(limited, 'ndjson')
        .map((a) => String(a['id']))
        .sort(),
    ).toEqual([...newest].sort());
  });

  it('mde: at most n alerts', async () => {
    const limited = await runCli(['pull', '--api', 'mde', '--since', '3h', '--limit', '4', '--format', 'ndjson'], { env: simEnv(sim) });
    expect(limited.code).toBe(0);
    expect(records(limited, 'ndjson')).toHaveLength(4);
  });
});

describe('--schema siem', () => {
  it.each(['mde', 'graph'])('maps --api %s alerts onto the 50 SIEM fields, in order', async (api) => {
    const result = await runCli(['pull', '--api', api, '--since', '3h', '--schema', 'siem', '--format', 'ndjson'], { env: simEnv(sim) });
    expect(result.code).toBe(0);
    const alerts = records(result, 'ndjson');
    expect(alerts.length).toBe(expectedIds().length);
    for (const alert of alerts) {
      expect(Object.keys(alert)).toEqual([...SIEM_FIELDS]);
      expect(alert['Severity']).toMatch(/^[A-Z]/);
      expect(alert['FullId']).toBeNull();
    }
    expect(alerts.map((a) => a['AlertId']).sort()).toEqual(expectedIds());
  });
});

describe('Graph partial answers (206 with Warning: 199)', () => {
  const partial = { status: 206, headers: { Warning: '199 - "Microsoft/WDATP/401/Unauthorized"' } };

  it('retries a partial page and never takes it as complete', async () => {
    sim.faults.push(partial);
    const result = await runCli(['pull', '--api', 'graph', '--since', '3h', '--format', 'ndjson'], { env: simEnv(sim) });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('206');
    expect(new Set(records(result, 'ndjson').map((a) => a['id'])).size).toBe(expectedIds().length);
  });

  it('exit 5 when it stays partial, and the state does not move past the partial window', async () => {
    const state = join(dir, 'graph-partial.json');
    sim.faults.push({ ...partial, times: 5 });
    // The windows are read at once (--parallel): which one meets the last partial answer twice is
    // chance, so the windows before it may be delivered and committed; the rest never are.
    const result = await runCli(['pull', '--api', 'graph', '--since', '3h', '--state', state, '--max-retries', '1', '--format', 'ndjson'], {
      env: simEnv(sim),
    });
    expect(result.code, result.stderr).toBe(5);
    expect(result.stderr).toMatch(/partial/);
    sim.faults.clear();
    const next = await runCli(['pull', '--api', 'graph', '--since', '3h', '--state', state, '--format', 'ndjson'], { env: simEnv(sim) });
    expect(next.code).toBe(0);
    const ids = [...records(result, 'ndjson'), ...records(next, 'ndjson')].map((a) => String(a['id']));
    expect([...new Set(ids)].sort()).toEqual(expectedIds());
  });
});

describe('a token for the wrong API', () => {
  it('exit 3, saying the token is for another API', async () => {
    const result = await runCli(['pull', '--api', 'mde', '--resource', 'https://graph.microsoft.com'], { env: simEnv(sim) });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('another API');
  });
});
