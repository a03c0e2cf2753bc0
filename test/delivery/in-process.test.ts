/**
 * The many-tenant run, the service loop and `status` run in this process (through `run`, as the
 * entry point calls it) against the simulator over loopback HTTP: the engine's behaviour that the
 * end-to-end tests check on the built CLI, here in the inner loop (`npm run test:unit`), which
 * neither builds nor spawns.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli.js';
import { QuotaPacers } from '../../src/delivery/create-source.js';
import { shardOf } from '../../src/config/shard.js';
import type { CommandIo } from '../../src/context/command-context.js';
import { fleetTenantId } from '../../simulator/credentials.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { writeFile } from 'node:fs/promises';
import { capture } from '../helpers/capture.js';

let sim: Simulator;
let dir: string;
beforeAll(async () => {
  sim = await startSimulator({
    https: false,
    seed: 3,
    alerts: 15,
    windowHours: 2,
    tenants: 6,
    tenantTrouble: { [fleetTenantId(4)]: 'forbidden' },
    mdeCallsPerMinute: 100_000,
    mdeCallsPerHour: 100_000,
  });
  dir = await mkdtemp(join(tmpdir(), 'defender-inproc-'));
});
afterAll(async () => {
  await sim.close();
});

function io(signal = new AbortController().signal): { io: CommandIo; out: () => string; err: () => string } {
  const out = capture();
  const err = capture();
  return {
    io: {
      stdout: out.stream,
      stdin: process.stdin,
      env: {
        AZURE_CLIENT_ID: sim.credentials.clientId,
        AZURE_CLIENT_SECRET: sim.credentials.clientSecret,
        AZURE_TENANT_ID: sim.credentials.tenantId,
        DEFENDER_BASE_URL: sim.url,
        AZURE_AUTHORITY_HOST: sim.url,
        DEFENDER_LOG_LEVEL: 'silent',
      },
      signal,
      now: () => new Date(),
    },
    out: out.text,
    err: () => err.text(),
  };
}

async function cli(args: string[], signal?: AbortSignal): Promise<{ code: number; out: string; err: string }> {
  const x = io(signal);
  const errors = capture();
  const code = await run(['node', 'defender-alerts', ...args], x.io, errors.stream);
  return { code, out: x.out(), err: errors.text() };
}

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('in process', () => {
  it('pull --tenants: labelled alerts of the tenants that work, exit 7, their states and metrics', async () => {
    const file = join(dir, 'tenants.json');
    await writeFile(
      file,
      JSON.stringify([1, 2, 3, 4].map((i) => ({ tenant: fleetTenantId(i), name: `t${i}`, api: i % 2 === 0 ? 'mde' : 'graph' }))),
    );
    const stateDir = join(dir, 'fleet');
    const metrics = join(dir, 'fleet.prom');
    const result = await cli([
      'pull',
      '--tenants',
      file,
      '--state-dir',
      stateDir,
      '--since',
      '3h',
      '--format',
      'ndjson',
      '--metrics-file',
      metrics,
    ]);
    expect(result.code).toBe(7);
    expect(result.err).toContain('1 of 4 tenant(s) failed: t4 (exit 4');
    const labels = new Set(lines(result.out).map((a) => a['tenantLabel']));
    expect(labels).toEqual(new Set(['t1', 't2', 't3']));
    // t4 never delivered: its state holds only how its run failed.
    expect((await readdir(stateDir)).sort()).toEqual(['t1.json', 't2.json', 't3.json', 't4.json']);
    const text = await readFile(metrics, 'utf8');
    expect(text).toContain('defender_alerts_last_attempt_success{api="mde",tenant="t4"} 0');
    expect(text).toContain('defender_alerts_failed_runs_total{api="mde",tenant="t4"} 1');
    expect(text).toContain('defender_alerts_last_attempt_success{api="graph",tenant="t1"} 1');

    const status = await cli(['status', '--tenants', file, '--state-dir', stateDir, '--json', '--max-lag', '10m']);
    expect(status.code).toBe(8);
    expect(status.err).toContain('1 of 4 checkpoint(s) are older than --max-lag: t4 (none: its runs fail, exit 4, API_403)');
    const reports = JSON.parse(status.out) as { label: string; fresh: boolean; lastRun?: { exitCode?: number } }[];
    expect(reports.map((r) => [r.label, r.fresh])).toEqual([
      ['t1', true],
      ['t2', true],
      ['t3', true],
      ['t4', false],
    ]);
    expect(reports[3]?.lastRun?.exitCode).toBe(4);
  });

  it('pull --tenants with one file per tenant, and a shard that holds none of them', async () => {
    const file = join(dir, 'list.txt');
    await writeFile(file, `${fleetTenantId(5)}\n${fleetTenantId(6)}\n`);
    const result = await cli(['pull', '--api', 'graph', '--tenants', file, '--since', '3h', '--output', join(dir, '{tenant}.json')]);
    expect(result.code, result.err).toBe(0);
    const alerts = JSON.parse(await readFile(join(dir, `${fleetTenantId(5)}.json`), 'utf8')) as unknown[];
    expect(alerts.length).toBeGreaterThan(0);
    // A shard that holds neither: nothing to do, nothing written, exit 0.
    const taken = new Set([5, 6].map((i) => shardOf(fleetTenantId(i), 50)));
    const empty = [...Array(50).keys()].find((i) => !taken.has(i)) ?? 0;
    const sharded = await cli(['pull', '--api', 'graph', '--tenants', file, '--since', '3h', '--shard', `${empty}/50`]);
    expect(sharded).toMatchObject({ code: 0, out: '' });
  });

  it('pull --follow: cycles until stopped, then exit 0 with the state recorded, paced by one set of pacers', async () => {
    const state = join(dir, 'follow.json');
    const stop = new AbortController();
    const pacersUsed = vi.spyOn(QuotaPacers.prototype, 'for');
    const pending = cli(
      ['pull', '--api', 'mde', '--since', '3h', '--state', state, '--follow', '--interval', '1s', '--metrics-file', join(dir, 'f.prom')],
      stop.signal,
    );
    for (let i = 0; i < 200; i++) {
      const text = await readFile(state, 'utf8').catch(() => '');
      if (text.includes('"runs": 2')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    stop.abort(new Error('SIGTERM'));
    const result = await pending;
    expect(result.code, result.err).toBe(0);
    expect(lines(result.out).length).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(state, 'utf8'))).toMatchObject({ lastRun: { outcome: 'ok' } });
    // Defender's hourly quota spans cycles: every cycle's source asked the same pacers.
    expect(pacersUsed.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(pacersUsed.mock.contexts).size).toBe(1);
    pacersUsed.mockRestore();
  });

  it('pull --tenants --follow: every tenant every cycle, a failing one not slowing the others', async () => {
    const file = join(dir, 'follow-tenants.txt');
    await writeFile(file, [1, 4].map(fleetTenantId).join('\n'));
    const stateDir = join(dir, 'follow-fleet');
    const stop = new AbortController();
    const pending = cli(
      ['pull', '--api', 'graph', '--tenants', file, '--state-dir', stateDir, '--since', '3h', '--follow', '--interval', '1s'],
      stop.signal,
    );
    const good = join(stateDir, `${fleetTenantId(1)}.json`);
    const pacersUsed = vi.spyOn(QuotaPacers.prototype, 'for');
    for (let i = 0; i < 200; i++) {
      const text = await readFile(good, 'utf8').catch(() => '');
      if (text.includes('"runs": 3')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    stop.abort(new Error('SIGTERM'));
    const result = await pending;
    expect(result.code, result.err).toBe(0);
    expect(JSON.parse(await readFile(good, 'utf8'))).toMatchObject({ totals: { runs: 3 } });
    // One set of pacers a tenant for the service's life, whatever the number of cycles.
    expect(pacersUsed.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(new Set(pacersUsed.mock.contexts).size).toBe(2);
    pacersUsed.mockRestore();
  });

  it('pull --follow --format cef: CEF lines, cycle after cycle', async () => {
    const state = join(dir, 'follow-cef.json');
    const stop = new AbortController();
    const pending = cli(
      ['pull', '--api', 'graph', '--since', '3h', '--state', state, '--follow', '--interval', '1s', '--format', 'cef'],
      stop.signal,
    );
    for (let i = 0; i < 200 && !(await readFile(state, 'utf8').catch(() => '')).includes('"runs": 2'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    stop.abort(new Error('SIGTERM'));
    const result = await pending;
    expect(result.code, result.err).toBe(0);
    const out = result.out.split('\n').filter((l) => l !== '');
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((l) => l.startsWith('CEF:0|Microsoft|Microsoft Defender ATP|2.0|'))).toBe(true);
  });
});
