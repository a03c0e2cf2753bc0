/**
 * What a SIEM is fed, end to end on the built CLI: server-side filters that the service applies
 * (fewer alerts, the same ones a client-side filter would keep), one record per evidence item, and
 * CEF/LEEF lines for every API, also with --state --append and many tenants.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetTenantId } from '../../simulator/credentials.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { runCli } from '../helpers/cli.js';
import { simEnv } from '../helpers/sim-env.js';

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({
    https: false,
    seed: 8,
    alerts: 80,
    windowHours: 2,
    tenants: 3,
    mdeCallsPerMinute: 100_000,
    mdeCallsPerHour: 100_000,
  });
  dir = await mkdtemp(join(tmpdir(), 'defender-formats-'));
});
afterAll(async () => {
  await sim.close();
});

async function pull(args: string[]): Promise<string[]> {
  const result = await runCli(['pull', '--since', '3h', ...args], { env: simEnv(sim, { DEFENDER_LOG_LEVEL: 'warn' }), timeoutMs: 60_000 });
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.split('\n').filter((l) => l !== '');
}

const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('server-side filters', () => {
  it.each([
    ['mde', ['--severity', 'high', '--severity', 'MEDIUM'], 'severity', ['High', 'Medium']],
    ['mde', ['--status', 'new'], 'status', ['New']],
    ['graph', ['--severity', 'High'], 'severity', ['high']],
    ['graph', ['--status', 'inprogress', '--status', 'resolved'], 'status', ['inProgress', 'resolved']],
  ] as const)('--api %s %j: the service sends exactly the alerts a client-side filter would keep', async (api, flags, field, values) => {
    const all = parsed(await pull(['--api', api, '--format', 'ndjson']));
    const asked = sim.stats.requests.length;
    const filtered = parsed(await pull(['--api', api, '--format', 'ndjson', ...flags]));
    expect(filtered.map((a) => a['id'])).toEqual(all.filter((a) => (values as readonly unknown[]).includes(a[field])).map((a) => a['id']));
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.length).toBeLessThan(all.length);
    // The filter went to the service, not applied here.
    const filters = sim.stats.requests.slice(asked).flatMap((r) => r.query['$filter'] ?? []);
    expect(filters.some((f) => f.includes(`${field} eq '${values[0]}'`))).toBe(true);
  });

  it('--detection-source is sent as given', async () => {
    const all = parsed(await pull(['--api', 'mde', '--format', 'ndjson']));
    const source = String(all[0]?.['detectionSource']);
    const filtered = parsed(await pull(['--api', 'mde', '--format', 'ndjson', '--detection-source', source]));
    expect(filtered.every((a) => a['detectionSource'] === source)).toBe(true);
    expect(filtered.length).toBe(all.filter((a) => a['detectionSource'] === source).length);
  });
});

describe('--split evidence', () => {
  it.each([
    ['graph', []],
    ['mde', ['--expand', 'evidence']],
  ] as const)('--api %s: one record per evidence item, the alert kept, none without a record', async (api, extra) => {
    const alerts = parsed(await pull(['--api', api, '--format', 'ndjson', ...extra]));
    const records = parsed(await pull(['--api', api, '--format', 'ndjson', '--split', 'evidence', ...extra]));
    const expected = alerts.reduce((n, a) => n + Math.max(1, (a['evidence'] as unknown[] | undefined)?.length ?? 0), 0);
    expect(records).toHaveLength(expected);
    expect(records.every((r) => typeof r['evidence'] === 'object' && !Array.isArray(r['evidence']))).toBe(true);
    expect(new Set(records.map((r) => r['id']))).toEqual(new Set(alerts.map((a) => a['id'])));
    const first = alerts[0] ?? {};
    const own = records.filter((r) => r['id'] === first['id']);
    expect(own.map((r) => r['evidence'])).toEqual((first['evidence'] as unknown[]).length > 0 ? first['evidence'] : [{}]);
    expect(own[0]?.['title']).toBe(first['title']);
  });
});

describe('--format cef and leef', () => {
  it.each(['siem', 'mde', 'graph'] as const)('--api %s: one CEF and one LEEF line per alert', async (api) => {
    const count = (await pull(['--api', api, '--format', 'ndjson', ...(api === 'siem' ? [] : ['--schema', 'siem'])])).length;
    const cef = await pull(['--api', api, '--format', 'cef']);
    const leef = await pull(['--api', api, '--format', 'leef']);
    expect(cef).toHaveLength(count);
    expect(leef).toHaveLength(count);
    expect(cef.every((l) => l.startsWith('CEF:0|Microsoft|Microsoft Defender ATP|2.0|'))).toBe(true);
    expect(leef.every((l) => l.startsWith('LEEF:2.0|Microsoft|Microsoft Defender ATP|2.0|'))).toBe(true);
  });

  it('--state --append: each run appends only the new alerts as lines', async () => {
    const out = join(dir, 'alerts.cef');
    const state = join(dir, 'cef-state.json');
    await pull(['--api', 'graph', '--format', 'cef', '--state', state, '--output', out, '--append']);
    const first = (await readFile(out, 'utf8')).split('\n').filter((l) => l !== '');
    await pull(['--api', 'graph', '--format', 'cef', '--state', state, '--output', out, '--append']);
    expect((await readFile(out, 'utf8')).split('\n').filter((l) => l !== '')).toEqual(first);
    expect(first.length).toBeGreaterThan(10);
  });

  it('many tenants into one stream: each line names its tenant', async () => {
    const file = join(dir, 'tenants.json');
    await writeFile(file, JSON.stringify([1, 2].map((i) => ({ tenant: fleetTenantId(i), name: `acme-${i}` }))));
    for (const format of ['cef', 'leef'] as const) {
      const lines = await pull(['--api', 'graph', '--tenants', file, '--format', format]);
      expect(lines.length).toBeGreaterThan(10);
      const labelled = (label: string) => lines.filter((l) => l.includes(label)).length;
      expect(labelled('acme-1') + labelled('acme-2')).toBe(lines.length);
      expect(labelled('acme-1')).toBeGreaterThan(0);
    }
  });
});
